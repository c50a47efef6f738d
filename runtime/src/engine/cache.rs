//! Precompiled components on disk, keyed by the component's content hash and
//! the engine's compatibility hash (a fuel-enabled build is not valid for an
//! engine without fuel, and the reverse).

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use super::Runtime;

/// Hex sha256 of the bytes.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Feeds `Hash` into sha256, which unlike `DefaultHasher` is stable.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn engine_key(rt: &Runtime) -> String {
    let mut h = ShaHasher(Sha256::new());
    rt.engine.precompile_compatibility_hash().hash(&mut h);
    hex(&h.0.finalize()[..12])
}

fn cache_path(rt: &Runtime, hash: &str) -> Option<PathBuf> {
    let dir = rt.config.cache_dir.as_ref()?;
    Some(dir.join(format!("{}-{}.cwasm", &hash[..32], engine_key(rt))))
}

/// The compiled component: from the cache, or compiled and then cached.
/// A cache that cannot be read or written is only a slower start.
pub fn compile_cached(rt: &Runtime, bytes: &[u8], hash: &str) -> wasmtime::Result<Component> {
    let path = cache_path(rt, hash);
    if let Some(p) = path.as_ref().filter(|p| p.exists()) {
        // SAFETY: the file was written by `Component::serialize` of an engine
        // with the same compatibility hash (part of its name), and only this
        // cache writes there, atomically.
        match unsafe { Component::deserialize_file(&rt.engine, p) } {
            Ok(c) => return Ok(c),
            Err(e) => tracing::warn!("ignoring unusable cache entry {}: {e}", p.display()),
        }
    }
    let component = rt.compile(bytes)?;
    if let Some(p) = path
        && let Err(e) = write_atomic(&p, &component.serialize()?)
    {
        tracing::warn!("cannot cache compiled component at {}: {e}", p.display());
    }
    Ok(component)
}

fn write_atomic(path: &PathBuf, data: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}
