//! C charms: `src/**/*.c` (with `src/charm.c`) compiled by clang for
//! wasm32-wasi against the `juju:charm` world's C bindings (wit-bindgen's C
//! generator, run in-process) and charmbox's C library (`guest-sdk/c`,
//! embedded), linked into a core module that imports nothing but the world
//! (wasi-libc gives malloc and the string functions, no I/O), then encoded
//! like a Rust charm's. Builds are cached by the hash of everything that
//! goes in (docs/c.md).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
#[cfg(feature = "compiler")]
use wit_bindgen_core::wit_parser::Resolve;

use super::BuildOptions;
use super::python::sdk::WIT;
use super::sources;

/// charmbox's C library, file by file.
const LIBRARY: &[(&str, &str)] = &[
    (
        "charmbox.h",
        include_str!("../../../guest-sdk/c/charmbox.h"),
    ),
    (
        "charmbox_internal.h",
        include_str!("../../../guest-sdk/c/charmbox_internal.h"),
    ),
    (
        "charmbox.c",
        include_str!("../../../guest-sdk/c/charmbox.c"),
    ),
    (
        "charmbox_pebble.c",
        include_str!("../../../guest-sdk/c/charmbox_pebble.c"),
    ),
];

/// The flags every C charm is compiled with: optimised, a reactor (no
/// `main`), warnings shown.
const CFLAGS: &[&str] = &[
    "--target=wasm32-wasi",
    "-O2",
    "-mexec-model=reactor",
    "-Wall",
];

/// The Debian packages that give clang a wasm32-wasi target.
pub(crate) const PACKAGES: &str = "clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32";

/// Why a C charm did not build.
#[derive(Debug, thiserror::Error)]
pub enum CBuildError {
    /// No clang with a wasm32-wasi sysroot.
    #[error(
        "C charms need clang with the wasm32-wasi target and wasi-libc ({reason}); \
         install the Debian packages {PACKAGES} (scripts/setup.sh does), or set \
         CHARMBOX_CLANG to such a clang"
    )]
    NoToolchain {
        /// What was missing.
        reason: String,
    },
    /// The charm's sources could not be read, or are too many or too big.
    #[error("the charm's C sources: {0}")]
    Sources(String),
    /// The C bindings of the world could not be generated.
    #[error("cannot generate the C bindings of juju:charm: {0}")]
    Bindings(String),
    /// clang refused the charm.
    #[error("clang could not build {}:\n{output}", .charm.display())]
    Compile {
        /// The charm directory.
        charm: PathBuf,
        /// clang's output.
        output: String,
    },
    /// The build cache could not be written.
    #[error("cannot write the C build cache {}: {source}", .path.display())]
    Cache {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// Whether `charm_dir` is a C charm (it has `src/charm.c`).
#[cfg(feature = "compiler")]
pub(crate) fn detect(charm_dir: &Path) -> bool {
    charm_dir.join("src").join("charm.c").is_file()
}

/// Build the C charm in `charm_dir` into a core module, cached under
/// `cache_dir`; returns the module's path and bytes.
#[cfg(feature = "compiler")]
pub(crate) fn build(
    charm_dir: &Path,
    cache_dir: &Path,
    opts: &BuildOptions,
) -> Result<(PathBuf, Vec<u8>), CBuildError> {
    let clang = find_clang()?;
    let src = charm_dir.join("src");
    let sources = sources::collect(&src, &["c", "h"]).map_err(CBuildError::Sources)?;
    let key = input_hash(&clang, &sources);
    let dir = cache_dir.join(&key[..16]);
    let module = dir.join("charm.wasm");
    if let Ok(bytes) = fs::read(&module) {
        return Ok((module, bytes));
    }
    opts.say(&format!(
        "{:>12} {} (clang, wasm32-wasi)",
        "Compiling",
        charm_dir.display()
    ));
    let cache = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CBuildError::Cache { path, source }
    };
    let staging = dir.with_extension("partial");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(cache(&staging))?;
    bindings(&staging)?;
    for (name, text) in LIBRARY {
        fs::write(staging.join(name), text).map_err(cache(&staging.join(name)))?;
    }
    let out = staging.join("charm.wasm");
    let mut cmd = Command::new(&clang.program);
    cmd.args(CFLAGS)
        .arg("-I")
        .arg(&staging)
        .arg("-I")
        .arg(charm_dir.join("src"))
        .arg("-o")
        .arg(&out)
        .args(
            sources
                .iter()
                .filter(|(p, _)| p.extension().is_some_and(|e| e == "c"))
                .map(|(p, _)| src.join(p)),
        )
        .arg(staging.join("charmbox.c"))
        .arg(staging.join("charmbox_pebble.c"))
        .arg(staging.join("charm.c"))
        .arg(staging.join("charm_component_type.o"))
        .current_dir(charm_dir)
        .stdin(Stdio::null());
    let done = cmd.output().map_err(|e| CBuildError::NoToolchain {
        reason: format!("cannot run {}: {e}", clang.program),
    })?;
    let output = String::from_utf8_lossy(&done.stderr).into_owned();
    if !done.status.success() {
        let _ = fs::remove_dir_all(&staging);
        return Err(CBuildError::Compile {
            charm: charm_dir.to_path_buf(),
            output,
        });
    }
    for line in output.lines() {
        opts.say(line);
    }
    let _ = fs::remove_dir_all(&dir);
    fs::rename(&staging, &dir).map_err(cache(&dir))?;
    let bytes = fs::read(&module).map_err(cache(&module))?;
    Ok((module, bytes))
}

/// The clang that builds C charms (and small wasm32-wasi objects for the
/// Python build), if there is one with wasi-libc.
pub(crate) fn clang_program() -> Option<String> {
    find_clang().ok().map(|c| c.program)
}

/// The clang that builds C charms.
struct Clang {
    program: String,
    version: String,
}

fn find_clang() -> Result<Clang, CBuildError> {
    let candidates: Vec<String> = match std::env::var("CHARMBOX_CLANG") {
        Ok(c) => vec![c],
        Err(_) => ["clang-14", "clang"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let mut reason = String::from("no clang-14 or clang on PATH");
    for program in candidates {
        let Ok(out) = Command::new(&program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
        else {
            continue;
        };
        let version = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        // The sysroot and the builtins for wasm32-wasi must be there too.
        let probe = Command::new(&program)
            .args(["--target=wasm32-wasi", "-print-libgcc-file-name"])
            .stdin(Stdio::null())
            .output();
        let builtins = probe
            .ok()
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string()));
        match builtins {
            Some(b) if b.is_file() => {
                if !Path::new("/usr/lib/wasm32-wasi/libc.a").is_file()
                    && std::env::var_os("CHARMBOX_CLANG").is_none()
                {
                    reason = "no wasi-libc (/usr/lib/wasm32-wasi/libc.a)".into();
                    continue;
                }
                return Ok(Clang { program, version });
            }
            _ => reason = format!("{program} has no wasm32-wasi builtins (libclang_rt)"),
        }
    }
    Err(CBuildError::NoToolchain { reason })
}

/// The cache key: every source (headers too), the library, the WIT, the
/// compiler and its flags.
fn input_hash(clang: &Clang, sources: &[(PathBuf, Vec<u8>)]) -> String {
    let mut h = Sha256::new();
    let flags = CFLAGS.join(" ");
    sources::hash_named(
        &mut h,
        [
            ("clang", clang.version.as_bytes()),
            ("flags", flags.as_bytes()),
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
    sources::hash_named(
        &mut h,
        LIBRARY.iter().chain(WIT).map(|(n, t)| (*n, t.as_bytes())),
    );
    sources::hex(h)
}

/// Write the world's C bindings (charm.h, charm.c and the component-type
/// object) into `dir`.
#[cfg(feature = "compiler")]
fn bindings(dir: &Path) -> Result<(), CBuildError> {
    let wit = dir.join("wit");
    fs::create_dir_all(&wit).map_err(|source| CBuildError::Cache {
        path: wit.clone(),
        source,
    })?;
    for (name, text) in WIT {
        fs::write(wit.join(name), text).map_err(|source| CBuildError::Cache {
            path: wit.join(name),
            source,
        })?;
    }
    let mut resolve = Resolve::default();
    let (pkg, _) = resolve
        .push_dir(&wit)
        .map_err(|e| CBuildError::Bindings(format!("{e:#}")))?;
    let world = resolve
        .select_world(&[pkg], Some("charm"))
        .map_err(|e| CBuildError::Bindings(format!("{e:#}")))?;
    let mut files = wit_bindgen_core::Files::default();
    wit_bindgen_c::Opts::default()
        .build()
        .generate(&mut resolve, world, &mut files)
        .map_err(|e| CBuildError::Bindings(format!("{e:#}")))?;
    for (name, bytes) in files.iter() {
        let path = dir.join(name);
        fs::write(&path, bytes).map_err(|source| CBuildError::Cache { path, source })?;
    }
    Ok(())
}
