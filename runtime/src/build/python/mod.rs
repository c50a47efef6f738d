//! Building Python charms (`ops`, laid out as charmcraft lays them out) into
//! components with componentize-py: its CPython 3.14 runs the charm, ops
//! and the charmbox adapter (`guest-sdk/python/charmbox_ops`), snapshotted
//! after everything is imported. See docs/python.md.
//!
//! Everything is cached under `target/python/`: componentize-py itself
//! (`tools/`), each distinct requirements.txt installed for the guest
//! (`site/<hash>/`), and each charm's last component with the hash of its
//! inputs (`charms/<name>-<tag>/`), so an unchanged charm is not rebuilt.

mod charm_libs;
mod componentize;
mod deps;
mod layout;
mod native;
mod pip;
mod reproducible;
mod sdist;
mod sdist_wheel;
pub(crate) mod sdk;

use std::fs;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

pub(crate) use layout::PythonCharm;
pub use pip::COMPONENTIZE_PY;
pub(crate) use pip::install_for_host;
pub(crate) use pip::python as host_python;

use super::progress::Step;
use super::{BuildError, BuildOptions};

/// Build the Python charm `charm` named `name`; the component's bytes.
pub(crate) fn build(
    charm: &PythonCharm,
    name: &str,
    cache: &Path,
    opts: &BuildOptions,
) -> Result<Vec<u8>, BuildError> {
    let say = |what: &str, detail: &str| opts.say(&format!("{what:>12} {detail}"));
    let declared = deps::declared(charm)?;
    let tools = cache.join("tools");
    if !tools
        .join(format!("componentize-py-{COMPONENTIZE_PY}"))
        .is_dir()
    {
        say(
            "Installing",
            &format!("componentize-py {COMPONENTIZE_PY} (pip)"),
        );
    }
    let tool = Step::new(
        opts,
        format!("installing componentize-py {COMPONENTIZE_PY}"),
    )
    .timed_in(cache, "componentize-py-install")
    .run(|| pip::componentize_py(&tools))?;
    let work = componentize::Workspace {
        dir: cache
            .join("charms")
            .join(format!("{name}-{}", short_hash(&charm.dir))),
        shim: reproducible::shim(&tools),
    };
    fs::create_dir_all(&work.dir).map_err(|e| setup_error(&work.dir, e))?;
    if declared.uv.is_some() && !tools.join(format!("uv-{}", deps::UV)).is_dir() {
        say("Installing", &format!("uv {} (pip)", deps::UV));
    }
    let text = deps::requirements_text(charm, &declared, &tools)?;
    let requirements = work.dir.join("requirements.txt");
    write_if_changed(&requirements, text.as_bytes()).map_err(|e| setup_error(&requirements, e))?;
    let site = Step::new(opts, format!("installing {name}'s requirements (pip)"))
        .run(|| pip::install_requirements(&requirements, &cache.join("site"), opts))?;
    let missing = charm_libs::missing(charm, Some(&site));
    if !missing.is_empty() {
        return Err(BuildError::MissingCharmLibs {
            dir: charm.dir.clone(),
            libs: missing.iter().map(ToString::to_string).collect(),
        });
    }
    let key = input_key(charm, &site, work.shim.as_deref());
    let cached = work.dir.join("component.wasm");
    let stamp = work.dir.join("component.key");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str())
        && let Ok(bytes) = fs::read(&cached)
    {
        tracing::debug!(charm = name, "Python component up to date");
        return Ok(bytes);
    }
    say(
        "Componentizing",
        &format!("{name} (componentize-py {COMPONENTIZE_PY})"),
    );
    let out = crate::cached_dir::staging(&cached);
    let result = Step::new(opts, format!("componentizing {name}"))
        .timed_in(cache, &format!("componentize-py-{name}"))
        .run(|| work.componentize(charm, &site, &tool, &out));
    let bytes = result.and_then(|()| fs::read(&out).map_err(|e| setup_error(&out, e)));
    let _ = fs::remove_file(&out);
    let bytes = bytes?;
    write_if_changed(&cached, &bytes).map_err(|e| setup_error(&cached, e))?;
    write_if_changed(&stamp, key.as_bytes()).map_err(|e| setup_error(&stamp, e))?;
    Ok(bytes)
}

fn setup_error(path: &Path, e: io::Error) -> BuildError {
    BuildError::PythonSetup(format!("{}: {e}", path.display()))
}

/// What the component depends on: charmbox's shipped files, the tools, the
/// charm's files and its installed requirements.
fn input_key(charm: &PythonCharm, site: &Path, shim: Option<&Path>) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // A build with the reproducibility shim differs from one without.
    h.update(
        shim.and_then(Path::file_name)
            .unwrap_or_default()
            .as_encoded_bytes(),
    );
    h.update(COMPONENTIZE_PY.as_bytes());
    h.update(site.file_name().unwrap_or_default().as_encoded_bytes());
    sdk::hash_into(&mut h);
    charm.hash_into(&mut h);
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn short_hash(path: &Path) -> String {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    hex(&Sha256::digest(canonical.as_os_str().as_encoded_bytes())[..6])
}

/// Write `bytes` to `path` (through a temporary file and a rename) unless
/// it already holds them: unchanged files keep their modification time.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    let tmp = crate::cached_dir::staging(path);
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}
