//! Precompiled components on disk, keyed by the component's content hash and
//! the engine's compatibility hash (a fuel-enabled build is not valid for an
//! engine without fuel, and the reverse).
//!
//! Loading compiled code runs it unchecked, so an entry is never trusted as
//! found: a checksum file beside each (`<entry>.sha256`) records a sha256
//! of what it was compiled from and of its bytes, checked on every load. What remains trusted is the cache
//! directory itself: whoever can write there can write a matching entry.

#[cfg(feature = "compiler")]
use std::hash::{Hash, Hasher};
use std::io::Read;
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

#[cfg(feature = "compiler")]
/// Feeds `Hash` into sha256, which unlike `DefaultHasher` is stable.
struct ShaHasher(Sha256);

#[cfg(feature = "compiler")]
impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

#[cfg(not(feature = "compiler"))]
pub(super) fn engine_key(_rt: &Runtime) -> String {
    // A host without the compiler never writes the cache.
    "no-compiler".into()
}

#[cfg(feature = "compiler")]
pub(super) fn engine_key(rt: &Runtime) -> String {
    let mut h = ShaHasher(Sha256::new());
    rt.engine.precompile_compatibility_hash().hash(&mut h);
    hex(&h.0.finalize()[..12])
}

fn cache_path(rt: &Runtime, hash: &str) -> Option<PathBuf> {
    let dir = rt.config.cache_dir.as_ref()?;
    Some(dir.join(format!("{}-{}.cwasm", &hash[..32], engine_key(rt))))
}

/// The checksum file beside an entry (`<entry>.sha256`).
fn sum_path(entry: &Path) -> PathBuf {
    entry.with_extension("cwasm.sha256")
}

/// What a checksum file holds before the hex digest (the format's version).
const SUM_PREFIX: &str = "charmbox-cwasm-sha256/1 ";
/// The most of a checksum file read (it is one short line).
const SUM_MAX_BYTES: u64 = 256;

/// What an entry's checksum file records: sha256 over the component's
/// hash, the engine's key and the entry's bytes. A flipped byte, a
/// truncated or partial write, or another component's (or engine's) entry
/// under this name all fail to match.
fn digest_of(hash: &str, engine: &str, mut code: impl Read) -> std::io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(hash.as_bytes());
    h.update(b"\0");
    h.update(engine.as_bytes());
    h.update(b"\0");
    let mut buf = vec![0u8; 256 << 10];
    loop {
        match code.read(&mut buf) {
            Ok(0) => return Ok(h.finalize().into()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Why a cache entry was not used.
#[derive(Debug, thiserror::Error)]
enum EntryError {
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a regular file")]
    NotAFile,
    #[error("no checksum recorded beside it (an older cache, or a write cut short)")]
    NoChecksum,
    #[error("its checksum file is malformed")]
    BadChecksumFile,
    #[error("its checksum does not match (corrupt, truncated or not this component's)")]
    Checksum,
    #[error("wasmtime refused it: {0}")]
    Engine(String),
}

/// The entry at `path` for component `hash`: checked against its recorded
/// checksum, then deserialized from the very file that was checked.
fn load_entry(rt: &Runtime, path: &Path, hash: &str) -> Result<Component, EntryError> {
    let recorded = read_sum(&sum_path(path))?;
    let file = open_regular(path)?;
    if digest_of(hash, &engine_key(rt), &file)? != recorded {
        return Err(EntryError::Checksum);
    }
    // On Linux the open file's own link: a rename over `path` since the
    // check cannot swap what is loaded.
    let fd_link = fd_path(&file).filter(|p| p.exists());
    // SAFETY: the file is, byte for byte, what `Component::serialize`
    // produced for this component on an engine with this compatibility
    // hash (the checksum binds all three; wasmtime checks the engine
    // again). Entries are only ever replaced by rename, never written in
    // place, so the mapped file does not change under the engine.
    let loaded =
        unsafe { Component::deserialize_file(&rt.engine, fd_link.as_deref().unwrap_or(path)) };
    drop(file);
    loaded.map_err(|e| EntryError::Engine(format!("{e:#}")))
}

#[cfg(target_os = "linux")]
fn fd_path(file: &std::fs::File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    Some(PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd())))
}

#[cfg(not(target_os = "linux"))]
fn fd_path(_: &std::fs::File) -> Option<PathBuf> {
    None
}

/// The digest a checksum file records.
fn read_sum(path: &Path) -> Result<[u8; 32], EntryError> {
    let file = open_regular(path).map_err(|e| match e {
        EntryError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => EntryError::NoChecksum,
        e => e,
    })?;
    let mut text = String::new();
    file.take(SUM_MAX_BYTES)
        .read_to_string(&mut text)
        .map_err(|_| EntryError::BadChecksumFile)?;
    let hex_text = text
        .strip_prefix(SUM_PREFIX)
        .map(str::trim_end)
        .filter(|h| h.len() == 64)
        .ok_or(EntryError::BadChecksumFile)?;
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex_text[2 * i..2 * i + 2], 16)
            .map_err(|_| EntryError::BadChecksumFile)?;
    }
    Ok(out)
}

/// The regular file at `path`, open for reading (a FIFO there is refused,
/// not waited on).
fn open_regular(path: &Path) -> Result<std::fs::File, EntryError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, libc::O_NONBLOCK);
    let file = opts.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(EntryError::NotAFile);
    }
    Ok(file)
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
    if let Some(p) = path
        && let Err(e) = write_entry(rt, &p, hash, &component.serialize()?)
    {
        tracing::warn!("cannot cache compiled component at {}: {e}", p.display());
    }
    Ok(component)
}

/// Write the entry, then its checksum file, each atomically. A reader
/// between the two renames (or after a crash) finds them disagreeing and
/// compiles again: never a mismatched pair loaded.
fn write_entry(rt: &Runtime, path: &Path, hash: &str, code: &[u8]) -> std::io::Result<()> {
    let digest = digest_of(hash, &engine_key(rt), code)?;
    write_atomic(path, code)?;
    write_atomic(
        &sum_path(path),
        format!("{SUM_PREFIX}{}\n", hex(&digest)).as_bytes(),
    )
}

/// Write `data` to a new file beside `path` (never an existing one: a
/// unique name, created exclusively), then rename it over `path`. Readers
/// see the old file or the whole new one.
fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
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
        file.write_all(data)?;
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
                    .filter(|n| n.ends_with(".cwasm"))
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
        let files = |p: &Path| {
            [p.to_path_buf(), sum_path(p)].map(|f| {
                std::fs::metadata(&f)
                    .ok()
                    .filter(|m| m.is_file())
                    .and_then(|_| std::fs::read(&f).ok())
            })
        };
        let damaged = files(&path);
        assert!(
            load_entry(&runtime(dir), &path, &hash).is_err(),
            "damage seen"
        );
        let c = compile_cached(&runtime(dir), bytes, &hash).unwrap();
        assert!(c.component_type().exports(&rt.engine).count() > 0);
        assert_ne!(files(&path), damaged, "rewritten");
        let now = std::fs::read(&path).unwrap();
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
        // In the code, at its end, in its ELF header.
        survives(&dir, ONE, flip(|n| n / 2));
        survives(&dir, ONE, flip(|n| n - 1));
        survives(&dir, ONE, flip(|_| 0));
        survives(&dir, ONE, flip(|_| 20));
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
        // Another component's valid entry (and its checksum file), renamed
        // to this one's.
        for with_sum in [false, true] {
            survives(&dir, ONE, |p| {
                let rt = runtime(p.parent().unwrap());
                let h = content_hash(other);
                compile_cached(&rt, other, &h).unwrap();
                let theirs = cache_path(&rt, &h).unwrap();
                std::fs::rename(&theirs, p).unwrap();
                if with_sum {
                    std::fs::rename(sum_path(&theirs), sum_path(p)).unwrap();
                }
            });
        }
        // Its checksum file damaged, cut, or gone (an older cache).
        let sum_damage = |f: fn(String) -> Option<String>| {
            move |p: &Path| {
                let s = sum_path(p);
                match f(std::fs::read_to_string(&s).unwrap()) {
                    Some(t) => std::fs::write(&s, t).unwrap(),
                    None => std::fs::remove_file(&s).unwrap(),
                }
            }
        };
        let flip_hex = |t: String| {
            let i = t.len() - 2;
            let c = if &t[i..i + 1] == "0" { "1" } else { "0" };
            Some(format!("{}{c}{}", &t[..i], &t[i + 1..]))
        };
        survives(&dir, ONE, sum_damage(flip_hex));
        survives(
            &dir,
            ONE,
            sum_damage(|t| Some(t[..t.len() / 2].to_string())),
        );
        survives(&dir, ONE, sum_damage(|_| Some("x".repeat(100_000))));
        survives(&dir, ONE, sum_damage(|_| None));
        // Code from an engine of other settings, with a matching checksum:
        // the checksum passes, wasmtime's own check refuses it.
        survives(&dir, ONE, |p| {
            let rt = runtime(p.parent().unwrap());
            let engine =
                wasmtime::Engine::new(wasmtime::Config::new().consume_fuel(false)).unwrap();
            let code = Component::new(&engine, ONE).unwrap().serialize().unwrap();
            write_entry(&rt, p, &content_hash(ONE), &code).unwrap();
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
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
