//! A source distribution from the package index, unpacked with bounds: an
//! sdist is a gzipped tar anyone can upload, so its unpacked size, entry
//! count and paths are checked as it is read (a small archive can expand to
//! gigabytes), and only files and directories are written, inside the
//! destination.

use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::GzDecoder;
use tar::{Archive, EntryType};

/// What an unpacked source distribution may hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most bytes of file contents, summed.
    pub bytes: u64,
    /// Most entries (files, directories and skipped links).
    pub entries: usize,
}

/// The limits for the sdists charmbox builds: pydantic-core's unpacks to
/// about 3 MB in 400 entries.
pub(crate) const LIMITS: Limits = Limits {
    bytes: 512 << 20,
    entries: 50_000,
};

/// Why an archive was not unpacked.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UnpackError {
    /// The archive could not be read or written out.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// It expands past the limits.
    #[error("it unpacks to more than {limit}")]
    TooLarge { limit: String },
    /// An entry's path leaves the destination.
    #[error("its entry {0:?} points outside the archive")]
    Escapes(String),
}

/// Unpack the gzipped tar `archive` into `into` within `limits`. Symbolic
/// and hard links, devices and FIFOs are skipped.
pub(crate) fn unpack(archive: &Path, into: &Path, limits: Limits) -> Result<(), UnpackError> {
    let file = BufReader::new(File::open(archive)?);
    unpack_from(GzDecoder::new(file), into, limits)
}

fn unpack_from(reader: impl Read, into: &Path, limits: Limits) -> Result<(), UnpackError> {
    fs::create_dir_all(into)?;
    let mut tar = Archive::new(reader);
    tar.set_preserve_permissions(false);
    tar.set_preserve_mtime(false);
    tar.set_unpack_xattrs(false);
    let (mut bytes, mut entries) = (0u64, 0usize);
    for entry in tar.entries()? {
        let mut entry = entry?;
        entries += 1;
        if entries > limits.entries {
            return Err(UnpackError::TooLarge {
                limit: format!("{} entries", limits.entries),
            });
        }
        let kind = entry.header().entry_type();
        if !matches!(kind, EntryType::Regular | EntryType::Directory) {
            continue;
        }
        bytes = bytes.saturating_add(entry.size());
        if bytes > limits.bytes {
            return Err(UnpackError::TooLarge {
                limit: format!("{} MiB", limits.bytes >> 20),
            });
        }
        if !entry.unpack_in(into)? {
            let shown = entry.path().map(|p| p.display().to_string());
            return Err(UnpackError::Escapes(shown.unwrap_or_default()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar stream with the given (path, size) files, contents zeros;
    /// paths written raw (so `..` can be tried).
    fn tar_of(files: &[(&str, u64)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, size) in files {
            let mut header = tar::Header::new_gnu();
            header.as_mut_bytes()[..path.len()].copy_from_slice(path.as_bytes());
            header.set_size(*size);
            header.set_mode(0o644);
            header.set_entry_type(EntryType::Regular);
            header.set_cksum();
            out.extend_from_slice(header.as_bytes());
            out.resize(out.len() + (*size as usize).div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    fn scratch(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("charmbox-sdist-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_small_archive_unpacks() {
        let dir = scratch("ok");
        let archive = tar_of(&[("pkg-1.0/Cargo.toml", 10), ("pkg-1.0/src/lib.rs", 600)]);
        unpack_from(&archive[..], &dir, LIMITS).unwrap();
        assert_eq!(fs::read(dir.join("pkg-1.0/src/lib.rs")).unwrap().len(), 600);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_archive_expanding_past_the_byte_limit_is_refused_before_writing_it() {
        let dir = scratch("big");
        let archive = tar_of(&[("a", 4096), ("b", 4096)]);
        let limits = Limits {
            bytes: 6000,
            entries: 10,
        };
        let err = unpack_from(&archive[..], &dir, limits).unwrap_err();
        assert!(matches!(err, UnpackError::TooLarge { .. }), "{err}");
        assert!(!dir.join("b").exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn too_many_entries_are_refused() {
        let dir = scratch("many");
        let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let files: Vec<(&str, u64)> = names.iter().map(|n| (n.as_str(), 1)).collect();
        let limits = Limits {
            bytes: 1 << 20,
            entries: 10,
        };
        let err = unpack_from(&tar_of(&files)[..], &dir, limits).unwrap_err();
        assert!(err.to_string().contains("10 entries"), "{err}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_entry_leaving_the_destination_is_refused() {
        let dir = scratch("escape");
        let err = unpack_from(&tar_of(&[("../outside", 1)])[..], &dir, LIMITS).unwrap_err();
        assert!(matches!(err, UnpackError::Escapes(_)), "{err}");
        assert!(!dir.parent().unwrap().join("outside").exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
