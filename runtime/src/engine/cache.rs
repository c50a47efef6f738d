//! Precompiled components on disk, keyed by the component's content hash and
//! the engine's compatibility hash (a fuel-enabled build is not valid for an
//! engine without fuel, and the reverse).
//!
//! Loading compiled code runs it unchecked, so an entry is never trusted as
//! found: each records a sha256 of what it was compiled from and of its
//! bytes, checked on every load. What remains trusted is the cache
//! directory itself: whoever can write there can write a matching entry.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

/// The first bytes of every cache entry (the format's version is in it).
const MAGIC: &[u8; 16] = b"charmbox-cwasm1\n";
/// The magic, then the sha256 of what the entry was compiled from and its
/// payload (see [`digest`]), then the payload: wasmtime's serialized code.
const HEADER_LEN: usize = MAGIC.len() + 32;

/// What an entry's header records: sha256 over the component's hash, the
/// engine's key and the payload. A flipped byte, a truncated or partial
/// write, or another component's (or engine's) entry under this name all
/// fail to match.
fn digest(hash: &str, engine: &str, payload: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(hash.as_bytes());
    h.update(b"\0");
    h.update(engine.as_bytes());
    h.update(b"\0");
    h.update(payload);
    h.finalize().into()
}

/// Why a cache entry was not used.
#[derive(Debug, thiserror::Error)]
enum EntryError {
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file")]
    NotAFile,
    #[error("not a charmbox cache entry (too short, or an older format)")]
    Format,
    #[error("its checksum does not match (corrupt, truncated or not this component's)")]
    Checksum,
    #[error("wasmtime refused it: {0}")]
    Engine(String),
}

/// The entry at `path` for component `hash`, verified, then deserialized.
fn load_entry(rt: &Runtime, path: &Path, hash: &str) -> Result<Component, EntryError> {
    let bytes = read_regular(path)?;
    if bytes.len() < HEADER_LEN || bytes[..MAGIC.len()] != MAGIC[..] {
        return Err(EntryError::Format);
    }
    let (recorded, payload) = bytes[MAGIC.len()..].split_at(32);
    if digest(hash, &engine_key(rt), payload)[..] != recorded[..] {
        return Err(EntryError::Checksum);
    }
    // SAFETY: the payload is, byte for byte, what `Component::serialize`
    // produced for this component on an engine with this compatibility
    // hash (the digest binds all three); wasmtime checks the engine again.
    unsafe { Component::deserialize(&rt.engine, payload) }
        .map_err(|e| EntryError::Engine(format!("{e:#}")))
}

/// The bytes of the regular file at `path` (a FIFO there is refused, not
/// waited on).
fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, libc::O_NONBLOCK);
    let mut file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other(EntryError::NotAFile));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The compiled component: from the cache, or compiled and then cached.
/// An entry that fails its checksum or that wasmtime refuses is compiled
/// again and rewritten, with a warning. A cache that cannot be read or
/// written is only a slower start.
pub fn compile_cached(rt: &Runtime, bytes: &[u8], hash: &str) -> wasmtime::Result<Component> {
    let path = cache_path(rt, hash);
    if let Some(p) = path.as_ref().filter(|p| p.exists()) {
        match load_entry(rt, p, hash) {
            Ok(c) => return Ok(c),
            Err(e) => tracing::warn!(
                "cache entry {} is unusable, compiling again: {e}",
                p.display()
            ),
        }
    }
    let component = rt.compile(bytes)?;
    if let Some(p) = path {
        let payload = component.serialize()?;
        let digest = digest(hash, &engine_key(rt), &payload);
        if let Err(e) = write_atomic(&p, &[MAGIC, &digest[..], &payload]) {
            tracing::warn!("cannot cache compiled component at {}: {e}", p.display());
        }
    }
    Ok(component)
}

/// Write `parts` to a new file beside `path` (never an existing one: a
/// unique name, created exclusively), then rename it over `path`. Readers
/// see the old entry or the whole new one; a crash leaves at worst a
/// partial entry, which its checksum rejects.
fn write_atomic(path: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    use std::io::Write;
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        for part in parts {
            file.write_all(part)?;
        }
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
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

    fn fresh_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("charmbox-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Damage the entry with `damage`, load again: no crash, compiled again,
    /// and the entry rewritten whole.
    fn survives(dir: &Path, bytes: &[u8], damage: impl FnOnce(&Path)) {
        let hash = content_hash(bytes);
        let rt = runtime(dir);
        compile_cached(&rt, bytes, &hash).unwrap();
        let path = cache_path(&rt, &hash).unwrap();
        let good = std::fs::read(&path).unwrap();
        assert!(load_entry(&rt, &path, &hash).is_ok());
        damage(&path);
        let damaged = std::fs::metadata(&path)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|_| std::fs::read(&path).ok());
        assert!(
            load_entry(&runtime(dir), &path, &hash).is_err(),
            "damage seen"
        );
        let c = compile_cached(&runtime(dir), bytes, &hash).unwrap();
        assert!(c.component_type().exports(&rt.engine).count() > 0);
        let now = std::fs::read(&path).unwrap();
        assert_ne!(Some(&now), damaged.as_ref());
        assert_eq!(now.len(), good.len(), "rewritten whole");
        assert!(
            load_entry(&runtime(dir), &path, &hash).is_ok(),
            "rewritten valid"
        );
    }

    const ONE: &[u8] = b"(component (core module $m (func (export \"f\") (result i32) i32.const 7)) (core instance $i (instantiate $m)) (func (export \"f\") (result s32) (canon lift (core func $i \"f\"))))";

    #[test]
    fn a_flipped_byte_or_truncation_is_compiled_again() {
        let dir = fresh_dir("damage");
        let flip = |at: fn(usize) -> usize| {
            move |p: &Path| {
                let mut b = std::fs::read(p).unwrap();
                let i = at(b.len());
                b[i] ^= 0x01;
                std::fs::write(p, b).unwrap();
            }
        };
        // In the payload (the code), in the recorded digest, in the magic.
        survives(&dir, ONE, flip(|n| n / 2));
        survives(&dir, ONE, flip(|n| n - 1));
        survives(&dir, ONE, flip(|_| MAGIC.len() + 3));
        survives(&dir, ONE, flip(|_| 0));
        let truncate = |to: fn(usize) -> usize| {
            move |p: &Path| {
                let b = std::fs::read(p).unwrap();
                std::fs::write(p, &b[..to(b.len())]).unwrap();
            }
        };
        survives(&dir, ONE, truncate(|n| n / 2));
        survives(&dir, ONE, truncate(|n| n - 1));
        survives(&dir, ONE, truncate(|_| 10));
        survives(&dir, ONE, truncate(|_| 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn another_components_or_engines_entry_is_compiled_again() {
        let dir = fresh_dir("swap");
        let other = b"(component (core module (func)))";
        // Another component's valid entry, renamed to this one's.
        survives(&dir, ONE, |p| {
            let rt = runtime(p.parent().unwrap());
            let h = content_hash(other);
            compile_cached(&rt, other, &h).unwrap();
            std::fs::rename(cache_path(&rt, &h).unwrap(), p).unwrap();
        });
        // An older cache's bare wasmtime artifact.
        survives(&dir, ONE, |p| {
            let rt = runtime(p.parent().unwrap());
            std::fs::write(p, rt.compile(ONE).unwrap().serialize().unwrap()).unwrap();
        });
        // Code from an engine of other settings, with a matching digest:
        // the checksum passes, wasmtime's own check refuses it.
        survives(&dir, ONE, |p| {
            let rt = runtime(p.parent().unwrap());
            let engine =
                wasmtime::Engine::new(wasmtime::Config::new().consume_fuel(false)).unwrap();
            let payload = Component::new(&engine, ONE).unwrap().serialize().unwrap();
            let d = digest(&content_hash(ONE), &engine_key(&rt), &payload);
            std::fs::write(p, [&MAGIC[..], &d[..], &payload].concat()).unwrap();
            let e = load_entry(&rt, p, &content_hash(ONE)).unwrap_err();
            assert!(matches!(e, EntryError::Engine(_)), "{e}");
        });
        // Something that is not a file (a FIFO is not waited on).
        survives(&dir, ONE, |p| {
            std::fs::remove_file(p).unwrap();
            let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        });
        let leftovers: Vec<String> = entries(&dir)
            .into_iter()
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
