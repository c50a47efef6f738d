//! Native extensions built for WASI from their source distributions, so a
//! charm can use pydantic v2. pip installs the host's wheel of such a
//! distribution (its Python files are the same on every platform); its
//! native file is then replaced by the same extension compiled for
//! `wasm32-wasip1` as a wasm shared library (`dylink.0`), which
//! componentize-py links against the libpython it embeds.
//!
//! The recipe (shared/toolchain.md, proven for pydantic-core 2.50.5): the
//! sdist from PyPI, a PyO3 config file for CPython 3.14 as a shared 32-bit
//! library, position-independent code, an empty `libc.a` so libc's symbols
//! stay dynamic imports, and `cargo rustc --crate-type cdylib` with fat LTO
//! (which recompiles std as PIC). Only Rust + PyO3 distributions listed in
//! [`BUILDABLE`] are built; any other native code keeps the clear refusal.
//! A build is kept per distribution and version in `<cache>/native/`.
//!
//! Running an sdist's build (its `build.rs` and proc macros, crates from
//! crates.io pinned by its Cargo.lock) is what `pip install` from an sdist
//! does too: it happens on the build machine, never in the sandbox.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::pip::{python, tail};
use crate::build::progress::Step;
use crate::build::{BuildError, BuildOptions};

/// Part of every cache key: a change of recipe builds again.
pub(crate) const RECIPE: &str = "pyo3-wasip1-cdylib-4";

/// The Rust target the extensions are built for.
const TARGET: &str = "wasm32-wasip1";

/// Distributions built for WASI: Rust + PyO3 crates with no C code.
const BUILDABLE: &[&str] = &[
    // pydantic v2's core (directly, or through cosl and many charm libraries).
    "pydantic-core",
    // jsonschema >= 4.18's persistent maps (through referencing).
    "rpds-py",
    // Password hashing (bcrypt >= 4.1 is Rust + PyO3).
    "bcrypt",
    // pydantic's and openai's fast JSON parser.
    "jiter",
];

/// The longest a build may take before it is stopped.
const DEADLINE: Duration = Duration::from_secs(30 * 60);

/// The suffix CPython 3.14 for WASI loads extension modules with.
const WASI_SUFFIX: &str = ".cpython-314-wasm32-wasi.so";

/// Whether charmbox builds `name`'s native code for WASI.
pub(crate) fn buildable(name: &str) -> bool {
    BUILDABLE.contains(&name)
}

/// Replace the native files of distribution `name` `version` installed in
/// `site` (`native`: their paths relative to `site`) with its WASI build.
pub(crate) fn replace(
    site: &Path,
    name: &str,
    version: &str,
    native: &[&str],
    cache: &Path,
    opts: &BuildOptions,
) -> Result<(), BuildError> {
    let [file] = native else {
        return Err(refusal(
            name,
            format!(
                "it has {} native files ({}); charmbox builds one extension module per distribution",
                native.len(),
                native.join(", ")
            ),
        ));
    };
    let rel = Path::new(file);
    let module = rel
        .file_name()
        .and_then(|f| f.to_str())
        .and_then(|f| f.split('.').next())
        .filter(|m| !m.is_empty())
        .ok_or_else(|| refusal(name, format!("cannot tell the module of {file}")))?;
    let built = build(name, version, cache, opts)?;
    let target = site
        .join(rel.parent().unwrap_or(Path::new("")))
        .join(format!("{module}{WASI_SUFFIX}"));
    fs::remove_file(site.join(rel)).map_err(|e| setup(site.join(rel), e))?;
    fs::copy(&built, &target).map_err(|e| setup(&target, e))?;
    Ok(())
}

/// The WASI build of `name` `version`, built once into the cache.
fn build(
    name: &str,
    version: &str,
    cache: &Path,
    opts: &BuildOptions,
) -> Result<PathBuf, BuildError> {
    if !version
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '+' || c == '-')
    {
        return Err(refusal(name, format!("unusual version {version:?}")));
    }
    let root = cache.join("native");
    let target_dir = root.join("target");
    let dir = root.join(format!("{name}-{version}-{RECIPE}"));
    let _ = fs::create_dir_all(&root);
    let dir = crate::cached_dir::fill_once(
        &dir,
        |tmp| {
            let work = tmp.join("work");
            let src = sdist(name, version, &work)?;
            opts.say(&format!(
                "{:>12} {name} {version} for WASI from its source (cargo, once)",
                "Building"
            ));
            let ext = Step::new(opts, format!("building {name} {version} for WASI"))
                .timed_in(&root, &format!("native-{name}"))
                .run(|| compile(name, &src, &work, &target_dir))?;
            fs::copy(&ext, tmp.join("extension.so")).map_err(|e| setup(tmp, e))?;
            let _ = fs::remove_dir_all(&work);
            Ok(())
        },
        BuildError::PythonSetup,
    )?;
    Ok(dir.join("extension.so"))
}

/// Download `name==version`'s sdist from the package index and unpack it;
/// the directory with its Cargo.toml.
fn sdist(name: &str, version: &str, work: &Path) -> Result<PathBuf, BuildError> {
    let download = work.join("sdist");
    fs::create_dir_all(&download).map_err(|e| setup(&download, e))?;
    let out = super::pip::run(
        Command::new(python())
            .args([
                "-m",
                "pip",
                "download",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(["--no-deps", "--no-binary", ":all:", "-d"])
            .arg(&download)
            .arg(format!("{name}=={version}")),
        &format!("downloading {name}'s source"),
    )?;
    if !out.status.success() {
        return Err(refusal(
            name,
            format!(
                "its source distribution {version} could not be downloaded:\n{}",
                tail(&out.stderr, 10)
            ),
        ));
    }
    let archive = fs::read_dir(&download)
        .map_err(|e| setup(&download, e))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .ok_or_else(|| refusal(name, "pip downloaded no .tar.gz source distribution".into()))?;
    let unpacked = work.join("src");
    fs::create_dir_all(&unpacked).map_err(|e| setup(&unpacked, e))?;
    super::sdist::unpack(&archive, &unpacked, super::sdist::LIMITS).map_err(|e| {
        refusal(
            name,
            format!("its source distribution does not unpack: {e}"),
        )
    })?;
    let root = fs::read_dir(&unpacked)
        .map_err(|e| setup(&unpacked, e))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            !p.is_symlink()
                && (p.join("Cargo.toml").is_file() || p.join("pyproject.toml").is_file())
        })
        .ok_or_else(|| refusal(name, "its source distribution has no Cargo.toml".into()))?;
    let top = crate_dir(&root).map_err(|m| refusal(name, m))?;
    // Its own workspace root, wherever the cache is (e.g. inside a cargo
    // workspace's target/): the sdist's root manifest when it declares a
    // workspace (the crate is a member: jiter's crates/jiter-python), else
    // the crate's own.
    let is_workspace = |text: &str| text.lines().any(|l| l.trim().starts_with("[workspace"));
    let root_manifest = root.join("Cargo.toml");
    let in_workspace =
        top != root && fs::read_to_string(&root_manifest).is_ok_and(|text| is_workspace(&text));
    if !in_workspace {
        let manifest = top.join("Cargo.toml");
        let text = fs::read_to_string(&manifest).map_err(|e| setup(&manifest, e))?;
        if !is_workspace(&text) {
            fs::write(&manifest, format!("{text}\n[workspace]\n"))
                .map_err(|e| setup(&manifest, e))?;
        }
    }
    Ok(top)
}

/// The directory of the Rust crate in an unpacked sdist `root`: where
/// pyproject.toml's `[tool.maturin] manifest-path` or its one
/// `[[tool.setuptools-rust.ext-modules]]` `path` says (bcrypt's is
/// `src/_bcrypt/Cargo.toml`), which must stay inside `root`, else `root`.
fn crate_dir(root: &Path) -> Result<PathBuf, String> {
    let pyproject = root.join("pyproject.toml");
    let manifest = match fs::read_to_string(&pyproject) {
        Ok(text) if text.len() <= 1 << 20 => {
            let doc: toml_edit::Document<String> = text
                .parse()
                .map_err(|e| format!("its pyproject.toml does not parse: {e}"))?;
            let tool = doc.get("tool");
            let maturin = tool
                .and_then(|t| t.get("maturin"))
                .and_then(|m| m.get("manifest-path"));
            // setuptools-rust: one extension module, its `path`.
            let setuptools = tool
                .and_then(|t| t.get("setuptools-rust"))
                .and_then(|r| r.get("ext-modules"))
                .and_then(|m| m.as_array_of_tables())
                .and_then(|m| match m.len() {
                    1 => m.get(0).and_then(|m| m.get("path")),
                    _ => None,
                });
            maturin
                .or(setuptools)
                .and_then(|p| p.as_str())
                .map(str::to_string)
        }
        Ok(_) => return Err("its pyproject.toml is over 1 MiB".into()),
        Err(_) => None,
    };
    let Some(manifest) = manifest else {
        return match root.join("Cargo.toml").is_file() {
            true => Ok(root.to_path_buf()),
            false => Err("its source distribution has no Cargo.toml".into()),
        };
    };
    let rel = Path::new(&manifest);
    let inside = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside || rel.file_name().is_none_or(|f| f != "Cargo.toml") {
        return Err(format!(
            "its pyproject.toml's Rust manifest path {manifest:?} is not a Cargo.toml inside the source"
        ));
    }
    let path = root.join(rel);
    if !path.is_file() || path.is_symlink() {
        return Err(format!(
            "its Rust manifest path {manifest:?} is not in the source"
        ));
    }
    Ok(path.parent().unwrap_or(root).to_path_buf())
}

/// PyO3's view of the guest's Python: CPython 3.14, a shared 32-bit
/// library; no link lines (componentize-py links).
const PYO3_CONFIG: &str = "implementation=CPython\nversion=3.14\nshared=true\nabi3=false\n\
lib_name=python3.14\npointer_width=32\nsuppress_build_script_link_lines=true\n";

/// cargo in the crate `src`, building into `target_dir`, with none of an
/// outer cargo's variables and its output captured.
fn cargo_in(src: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    for var in crate::build::toolchain::OUTER_CARGO_VARS {
        cmd.env_remove(var);
    }
    cmd.current_dir(src)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Compile the crate in `src` for WASI as a shared library; its path.
fn compile(name: &str, src: &Path, work: &Path, target_dir: &Path) -> Result<PathBuf, BuildError> {
    ensure_target()?;
    let config = work.join("pyo3.cfg");
    fs::write(&config, PYO3_CONFIG).map_err(|e| setup(&config, e))?;
    let libc = work.join("empty-libc");
    fs::create_dir_all(&libc).map_err(|e| setup(&libc, e))?;
    fs::write(libc.join("libc.a"), b"!<arch>\n").map_err(|e| setup(&libc, e))?;
    let mut rustflags = format!(
        "-C relocation-model=pic -C link-self-contained=no -C link-args=-L{} \
         -C link-args=--experimental-pic -C link-args=--shared",
        libc.display()
    );
    if let Some(clocks) = clock_ids(work)? {
        rustflags.push_str(&format!(" -C link-arg={}", clocks.display()));
    }
    // An sdist's Cargo.lock may still list workspace members left out of
    // the sdist (jiter's fuzz crate): drop those, keeping every locked
    // dependency as it is, so the build below can stay `--locked`.
    let mut prune = cargo_in(src, target_dir);
    prune.args(["update", "--workspace"]);
    let (ok, _, stderr) = run_bounded(&mut prune)?;
    if !ok {
        return Err(refusal(
            name,
            format!("its Cargo.lock could not be read:\n{}", tail(&stderr, 10)),
        ));
    }
    let mut cmd = cargo_in(src, target_dir);
    cmd.args([
        "rustc",
        "--release",
        "--lib",
        "--locked",
        "--target",
        TARGET,
    ])
    .args([
        "--crate-type",
        "cdylib",
        "--message-format=json-render-diagnostics",
    ])
    .env("RUSTFLAGS", rustflags)
    // Fat LTO takes std in as bitcode and compiles it position-independent
    // with the crate (rustup's prebuilt std is not PIC).
    .env("CARGO_PROFILE_RELEASE_LTO", "fat")
    .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "1")
    .env("PYO3_CONFIG_FILE", &config)
    .env("PYO3_BUILD_EXTENSION_MODULE", "1")
    // A stable-ABI (abi3) crate whose PyO3 predates 3.14 builds for the
    // newest stable ABI it knows, which 3.14 loads (bcrypt 4.3's PyO3 0.23).
    .env("PYO3_USE_ABI3_FORWARD_COMPATIBILITY", "1");
    let (ok, stdout, stderr) = run_bounded(&mut cmd)?;
    if !ok {
        return Err(refusal(
            name,
            format!(
                "its Rust code did not build for {TARGET}:\n{}",
                tail(&stderr, 20)
            ),
        ));
    }
    artifact(&String::from_utf8_lossy(&stdout))
        .ok_or_else(|| refusal(name, "cargo reported no cdylib".into()))
}

/// wasi-libc's clock ids (`CLOCK_REALTIME` is `&_CLOCK_REALTIME`, a struct
/// holding the WASI clock id). An extension reading them through the libc
/// crate (pydantic-core 2.41) cannot take their address from the dynamic
/// libc (rust-lld: "relocation R_WASM_MEMORY_ADDR_REL_SLEB is not supported
/// against an undefined symbol"): it gets hidden copies of its own, which
/// libc's `clock_gettime` reads the id from. Compiled with the clang of C
/// charms when there is one; `None` without.
const CLOCK_IDS: &str = "struct __clockid { unsigned id; };\n\
#define ID(n, v) __attribute__((visibility(\"hidden\"))) const struct __clockid n = {v};\n\
ID(_CLOCK_REALTIME, 0)\nID(_CLOCK_MONOTONIC, 1)\n\
ID(_CLOCK_PROCESS_CPUTIME_ID, 2)\nID(_CLOCK_THREAD_CPUTIME_ID, 3)\n";

fn clock_ids(work: &Path) -> Result<Option<PathBuf>, BuildError> {
    let Some(clang) = crate::build::c::clang_program() else {
        return Ok(None);
    };
    let source = work.join("clock_ids.c");
    let object = work.join("clock_ids.o");
    fs::write(&source, CLOCK_IDS).map_err(|e| setup(&source, e))?;
    let out = Command::new(&clang)
        .args(["--target=wasm32-wasi", "-fPIC", "-O2", "-c", "-o"])
        .arg(&object)
        .arg(&source)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| setup(&source, e))?;
    if !out.status.success() {
        return Err(BuildError::PythonSetup(format!(
            "{clang} could not compile the clock ids:\n{}",
            tail(&out.stderr, 5)
        )));
    }
    Ok(Some(object))
}

/// The cdylib cargo reports in its JSON messages.
fn artifact(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| {
            m["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
        })
        .filter_map(|m| {
            m["filenames"]
                .as_array()?
                .iter()
                .filter_map(|f| f.as_str())
                .find(|f| f.ends_with(".wasm"))
                .map(PathBuf::from)
        })
        .next()
}

/// Run `cmd` to its end, at most [`DEADLINE`]; (success, stdout, stderr).
fn run_bounded(cmd: &mut Command) -> Result<(bool, Vec<u8>, Vec<u8>), BuildError> {
    let mut child = cmd
        .spawn()
        .map_err(|e| BuildError::PythonSetup(format!("cannot run cargo: {e}")))?;
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = o.read_to_end(&mut buf);
        }
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_end(&mut buf);
        }
        buf
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < DEADLINE => {
                std::thread::sleep(Duration::from_millis(200))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(BuildError::PythonSetup(format!(
                    "building a native extension for WASI took longer than {} minutes: stopped",
                    DEADLINE.as_secs() / 60
                )));
            }
        }
    };
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok((status.success(), stdout, stderr))
}

/// rustup's `wasm32-wasip1` target, added when missing.
fn ensure_target() -> Result<(), BuildError> {
    let listed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .stdin(Stdio::null())
        .output();
    if let Ok(out) = &listed
        && String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == TARGET)
    {
        return Ok(());
    }
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .stdin(Stdio::null())
        .output();
    match added {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(BuildError::PythonSetup(format!(
            "building native extensions for WASI needs rustup's {TARGET} target: {}",
            tail(&out.stderr, 5)
        ))),
        Err(e) => Err(BuildError::PythonSetup(format!(
            "building native extensions for WASI needs rustup (with the {TARGET} target): {e}"
        ))),
    }
}

fn refusal(name: &str, reason: String) -> BuildError {
    BuildError::PythonRequirement {
        package: name.to_string(),
        reason: format!("charmbox builds its native code for WASI, but {reason}"),
    }
}

fn setup(path: impl AsRef<Path>, e: std::io::Error) -> BuildError {
    BuildError::PythonSetup(format!("{}: {e}", path.as_ref().display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An sdist's root with `pyproject` and a `[package]` at each of
    /// `files`, removed when dropped.
    fn sdist_root(pyproject: &str, files: &[&str]) -> tempfile::TempDir {
        let d = tempfile::Builder::new()
            .prefix("charmbox-crate-dir-")
            .tempdir()
            .unwrap();
        fs::write(d.path().join("pyproject.toml"), pyproject).unwrap();
        for f in files {
            let p = d.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "[package]\n").unwrap();
        }
        d
    }

    #[test]
    fn the_crate_is_where_maturin_or_setuptools_rust_says() {
        let d = sdist_root(
            "[tool.maturin]\nmanifest-path = \"crates/py/Cargo.toml\"\n",
            &["Cargo.toml", "crates/py/Cargo.toml"],
        );
        assert_eq!(crate_dir(d.path()).unwrap(), d.path().join("crates/py"));
        let d = sdist_root(
            "[[tool.setuptools-rust.ext-modules]]\ntarget = \"b._b\"\npath = \"src/_b/Cargo.toml\"\n",
            &["src/_b/Cargo.toml"],
        );
        assert_eq!(crate_dir(d.path()).unwrap(), d.path().join("src/_b"));
        let d = sdist_root("[project]\nname = \"x\"\n", &["Cargo.toml"]);
        assert_eq!(crate_dir(d.path()).unwrap(), d.path());
        let d = sdist_root("[project]\nname = \"x\"\n", &[]);
        assert!(crate_dir(d.path()).unwrap_err().contains("no Cargo.toml"));
    }

    #[test]
    fn a_manifest_path_out_of_the_source_is_refused() {
        for path in [
            "../x/Cargo.toml",
            "/etc/Cargo.toml",
            "crates/py/setup.py",
            "gone/Cargo.toml",
        ] {
            let d = sdist_root(
                &format!("[tool.maturin]\nmanifest-path = {path:?}\n"),
                &["Cargo.toml"],
            );
            let e = crate_dir(d.path()).unwrap_err();
            assert!(e.contains(path), "{path}: {e}");
        }
        let d = sdist_root("[tool.maturin\n", &["Cargo.toml"]);
        assert!(crate_dir(d.path()).unwrap_err().contains("does not parse"));
    }

    #[test]
    fn the_cdylib_is_found_in_cargos_messages() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"kind":["lib"]},"filenames":["/t/libserde.rlib"]}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["cdylib"]},"filenames":["/t/wasm32-wasip1/release/_pydantic_core.wasm"]}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            artifact(messages),
            Some(PathBuf::from(
                "/t/wasm32-wasip1/release/_pydantic_core.wasm"
            ))
        );
        assert_eq!(artifact("not json\n"), None);
    }

    #[test]
    fn only_listed_distributions_are_built() {
        assert!(buildable("pydantic-core"));
        assert!(!buildable("cryptography"));
    }

    #[test]
    fn two_native_files_are_refused_by_name() {
        let site = std::env::temp_dir();
        let err = replace(
            &site,
            "pydantic-core",
            "2.50.5",
            &["a/x.so", "a/y.so"],
            &site,
            &BuildOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("pydantic-core") && err.contains("a/x.so, a/y.so"),
            "{err}"
        );
    }

    #[test]
    fn a_strange_version_is_refused_before_anything_runs() {
        let site = std::env::temp_dir();
        let err = replace(
            &site,
            "pydantic-core",
            "1; rm -rf /",
            &["a/x.so"],
            &site,
            &BuildOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("unusual version"), "{err}");
    }
}
