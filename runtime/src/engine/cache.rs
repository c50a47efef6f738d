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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RuntimeConfig;

    fn runtime(dir: &std::path::Path) -> Runtime {
        let config = RuntimeConfig {
            cache_dir: Some(dir.to_path_buf()),
            pool_slots: None,
            ..RuntimeConfig::default()
        };
        Runtime::new(config).unwrap()
    }

    fn entries(dir: &std::path::Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn compiled_once_then_loaded_from_disk() {
        let dir = std::env::temp_dir().join(format!("charmbox-cache-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = runtime(&dir);
        let bytes = b"(component (core module))".to_vec();
        let hash = content_hash(&bytes);
        compile_cached(&rt, &bytes, &hash).unwrap();
        let first = entries(&dir);
        assert_eq!(first.len(), 1, "{first:?}");
        assert!(
            first[0].starts_with(&hash[..32]) && first[0].ends_with(".cwasm"),
            "{first:?}"
        );
        let written = std::fs::metadata(dir.join(&first[0]))
            .unwrap()
            .modified()
            .unwrap();
        // A second runtime with the same engine settings reuses the file.
        compile_cached(&runtime(&dir), &bytes, &hash).unwrap();
        assert_eq!(entries(&dir), first);
        assert_eq!(
            std::fs::metadata(dir.join(&first[0]))
                .unwrap()
                .modified()
                .unwrap(),
            written
        );
        // Another component gets its own entry.
        let other = b"(component (core module (func)))".to_vec();
        compile_cached(&rt, &other, &content_hash(&other)).unwrap();
        assert_eq!(entries(&dir).len(), 2);
        // A corrupt entry is recompiled, not trusted.
        std::fs::write(dir.join(&first[0]), b"garbage").unwrap();
        compile_cached(&runtime(&dir), &bytes, &hash).unwrap();
        assert_ne!(std::fs::read(dir.join(&first[0])).unwrap(), b"garbage");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
