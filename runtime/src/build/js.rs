//! JavaScript charms: `src/charm.js` (an ES module; `package.json` marks the
//! directory too) made into a `juju:charm` component by componentize-js
//! (StarlingMonkey), with charmbox's library (`guest-sdk/js/charmbox.js`,
//! embedded) beside the sources as `./charmbox.js`. componentize-js is
//! installed once with npm into the build cache; builds are cached by the
//! hash of everything that goes in (docs/js.md).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::BuildOptions;
use super::progress::Step;
use super::python::sdk::WIT;
use super::sources;

/// The componentize-js release charmbox builds with.
pub(crate) const COMPONENTIZE_JS: &str = "0.23.0";

/// charmbox's JavaScript library, as the charm imports it (`./charmbox.js`).
const LIBRARY: &str = include_str!("../../../guest-sdk/js/charmbox.js");
const LIBRARY_NAME: &str = "charmbox.js";

/// The node script that calls componentize-js.
const BUILD_SCRIPT: &str = include_str!("js_build.mjs");

/// Why a JavaScript charm did not build.
#[derive(Debug, thiserror::Error)]
pub enum JsBuildError {
    /// No node or npm.
    #[error(
        "JavaScript charms need node (>= 18) and npm ({0}); install the Debian packages \
         nodejs and npm (scripts/setup.sh does)"
    )]
    NoNode(String),
    /// npm could not install componentize-js.
    #[error("npm could not install componentize-js {COMPONENTIZE_JS}:\n{0}")]
    Install(String),
    /// The charm's sources could not be read, or are too many or too big.
    #[error("the charm's JavaScript sources: {0}")]
    Sources(String),
    /// A source file is not valid JavaScript (node's message, naming it).
    #[error("src/{file} is not valid JavaScript:\n{message}")]
    Syntax {
        /// The file, relative to src/.
        file: String,
        /// node's syntax error.
        message: String,
    },
    /// componentize-js refused the charm.
    #[error("componentize-js could not build {}:\n{output}", .charm.display())]
    Componentize {
        /// The charm directory.
        charm: PathBuf,
        /// node's output.
        output: String,
    },
    /// The build cache could not be written.
    #[error("cannot write the JavaScript build cache {}: {source}", .path.display())]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Whether `charm_dir` is a JavaScript charm (`src/charm.js`, or a
/// `package.json` without Cargo.toml).
pub(crate) fn detect(charm_dir: &Path) -> bool {
    charm_dir.join("src").join("charm.js").is_file() || charm_dir.join("package.json").is_file()
}

fn cache_err(path: &Path) -> impl FnOnce(io::Error) -> JsBuildError {
    let path = path.to_path_buf();
    move |source| JsBuildError::Cache { path, source }
}

/// Build the JavaScript charm in `charm_dir` into a component, cached under
/// `cache_dir`; returns the component's bytes.
pub(crate) fn build(
    charm_dir: &Path,
    cache_dir: &Path,
    opts: &BuildOptions,
) -> Result<Vec<u8>, JsBuildError> {
    let node = node_version()?;
    let src = charm_dir.join("src");
    if !src.join("charm.js").is_file() {
        return Err(JsBuildError::Sources(format!(
            "{} is missing: a JavaScript charm's entry module",
            src.join("charm.js").display()
        )));
    }
    let sources = sources::collect(&src, &["js", "mjs", "json"]).map_err(JsBuildError::Sources)?;
    if sources
        .iter()
        .any(|(rel, _)| rel == Path::new(LIBRARY_NAME))
    {
        return Err(JsBuildError::Sources(format!(
            "src/{LIBRARY_NAME} is the name of charmbox's library, which the build puts there"
        )));
    }
    syntax_check(&sources)?;
    let key = input_hash(&node, &sources);
    let out_dir = cache_dir.join(&key[..16]);
    let component = out_dir.join("charm.wasm");
    if let Ok(bytes) = fs::read(&component) {
        return Ok(bytes);
    }
    let tools = install_tools(cache_dir, opts)?;
    opts.say(&format!(
        "{:>12} {} (componentize-js {COMPONENTIZE_JS})",
        "Componentize",
        charm_dir.display()
    ));
    let staging = out_dir.with_extension("partial");
    let _ = fs::remove_dir_all(&staging);
    for (rel, bytes) in &sources {
        let path = staging.join("src").join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(cache_err(parent))?;
        }
        fs::write(&path, bytes).map_err(cache_err(&path))?;
    }
    let lib = staging.join("src").join(LIBRARY_NAME);
    fs::write(&lib, LIBRARY).map_err(cache_err(&lib))?;
    let wit = staging.join("wit");
    fs::create_dir_all(&wit).map_err(cache_err(&wit))?;
    for (name, text) in WIT {
        fs::write(wit.join(name), text).map_err(cache_err(&wit.join(name)))?;
    }
    let out = staging.join("charm.wasm");
    let name = charm_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let done = Step::new(opts, format!("componentizing {name}"))
        .timed_in(cache_dir, &format!("componentize-js-{name}"))
        .run(|| {
            Command::new("node")
                .arg(tools.join("js_build.mjs"))
                .arg(staging.join("src").join("charm.js"))
                .arg(&wit)
                .arg(&out)
                .current_dir(&tools)
                .stdin(Stdio::null())
                .output()
                .map_err(|e| JsBuildError::NoNode(format!("cannot run node: {e}")))
        })?;
    if !done.status.success() {
        let _ = fs::remove_dir_all(&staging);
        let mut output = String::from_utf8_lossy(&done.stderr).into_owned();
        output.push_str(&String::from_utf8_lossy(&done.stdout));
        return Err(JsBuildError::Componentize {
            charm: charm_dir.to_path_buf(),
            output: output.trim_end().to_string(),
        });
    }
    let _ = fs::remove_dir_all(&out_dir);
    fs::rename(&staging, &out_dir).map_err(cache_err(&out_dir))?;
    fs::read(&component).map_err(cache_err(&component))
}

/// Parse every module with node first: componentize-js only says that
/// parsing failed, node says where and why.
fn syntax_check(sources: &[(PathBuf, Vec<u8>)]) -> Result<(), JsBuildError> {
    use std::io::Write;
    for (rel, bytes) in sources {
        if !rel.extension().is_some_and(|e| e == "js" || e == "mjs") {
            continue;
        }
        let mut child = Command::new("node")
            .args(["--input-type=module", "--check"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| JsBuildError::NoNode(format!("cannot run node: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            // node reads the whole module before it parses it.
            let _ = stdin.write_all(bytes);
        }
        let done = child
            .wait_with_output()
            .map_err(|e| JsBuildError::NoNode(format!("node --check: {e}")))?;
        if !done.status.success() {
            let file = rel.display().to_string();
            let text = String::from_utf8_lossy(&done.stderr);
            // The excerpt and the error, without node's own stack.
            let message: Vec<String> = text
                .lines()
                .take_while(|l| !l.trim_start().starts_with("at "))
                .map(|l| l.replace("[stdin]", &format!("src/{file}")))
                .filter(|l| !l.trim().is_empty())
                .collect();
            return Err(JsBuildError::Syntax {
                file,
                message: message.join("\n"),
            });
        }
    }
    Ok(())
}

/// node's version (`v20.20.2`), checked to be 18 or later.
fn node_version() -> Result<String, JsBuildError> {
    let out = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| JsBuildError::NoNode(format!("no node on PATH: {e}")))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if major < 18 {
        return Err(JsBuildError::NoNode(format!(
            "node {version:?} is older than 18"
        )));
    }
    Ok(version)
}

/// componentize-js installed with npm under `<cache>/tools/`, once.
fn install_tools(cache_dir: &Path, opts: &BuildOptions) -> Result<PathBuf, JsBuildError> {
    let tools = cache_dir
        .join("tools")
        .join(format!("componentize-js-{COMPONENTIZE_JS}"));
    let ready = tools.join(".ready");
    if !ready.is_file() {
        opts.say(&format!(
            "{:>12} componentize-js {COMPONENTIZE_JS} into {} (npm, once)",
            "Installing",
            tools.display()
        ));
        let _ = fs::remove_dir_all(&tools);
        fs::create_dir_all(&tools).map_err(cache_err(&tools))?;
        let done = Step::new(
            opts,
            format!("installing componentize-js {COMPONENTIZE_JS}"),
        )
        .timed_in(cache_dir, "componentize-js-install")
        .run(|| {
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&tools)
                .arg(format!(
                    "@bytecodealliance/componentize-js@{COMPONENTIZE_JS}"
                ))
                .stdin(Stdio::null())
                .output()
                .map_err(|e| JsBuildError::NoNode(format!("cannot run npm: {e}")))
        })?;
        if !done.status.success() {
            return Err(JsBuildError::Install(
                String::from_utf8_lossy(&done.stderr).trim_end().to_string(),
            ));
        }
        fs::write(&ready, COMPONENTIZE_JS).map_err(cache_err(&ready))?;
    }
    let script = tools.join("js_build.mjs");
    if fs::read_to_string(&script).ok().as_deref() != Some(BUILD_SCRIPT) {
        fs::write(&script, BUILD_SCRIPT).map_err(cache_err(&script))?;
    }
    Ok(tools)
}

/// The cache key: the sources, the library, the build script, the WIT,
/// node's and componentize-js's versions.
fn input_hash(node: &str, sources: &[(PathBuf, Vec<u8>)]) -> String {
    let mut h = Sha256::new();
    sources::hash_named(
        &mut h,
        [
            ("node", node.as_bytes()),
            ("componentize-js", COMPONENTIZE_JS.as_bytes()),
            (LIBRARY_NAME, LIBRARY.as_bytes()),
            ("js_build.mjs", BUILD_SCRIPT.as_bytes()),
        ],
    );
    let names: Vec<String> = sources
        .iter()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .collect();
    sources::hash_named(
        &mut h,
        names
            .iter()
            .zip(sources)
            .map(|(n, (_, b))| (n.as_str(), b.as_slice())),
    );
    sources::hash_named(&mut h, WIT.iter().map(|(n, t)| (*n, t.as_bytes())));
    sources::hex(h)
}
