//! Reproducible Python builds: the same charm source and locked
//! dependencies give a byte-identical component.
//!
//! componentize-py initialises the guest CPython in its own wasmtime and
//! snapshots the guest's memory, and the guest sees the host's entropy,
//! clocks and file metadata. Each left traces in the snapshot: the
//! string-hash secret (which decides the layout of every set and dict),
//! the stat times and inode numbers of the standard library componentize-py
//! extracts afresh for every build, and clock readings; some directly, most
//! as leftovers in reused memory (object padding, freed buffers). So the
//! build preloads a small shim (`build_shim.c`, compiled once with the host's
//! C compiler into the tools cache) into componentize-py's process: seeded
//! entropy, counted clocks, and on x86_64 the stat family trapped by a
//! seccomp filter and answered with one time, one device and inode numbers
//! in order of first sight. The guest also wrote `.pyc` files next to the
//! sources it imported, which the next build read instead of compiling: the
//! entry module turns bytecode writing off first thing, and the build
//! removes the guest's `.pyc` files left by earlier charmbox versions. The
//! charm's `src/` and `lib/` are staged into the build's workspace, and
//! they, the adapter and the installed requirements all get one fixed time.
//! Without a C compiler the build still works, with a warning that it is not
//! reproducible.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The shim's source, compiled once per content.
const SHIM_SOURCE: &str = include_str!("build_shim.c");

/// The seed every build uses (a fixed value: the point is sameness).
pub(crate) const BUILD_SEED: &str = "0";

/// The guest's bytecode cache tag (CPython 3.14).
const GUEST_PYC: &str = ".cpython-314.pyc";

/// Most directory entries walked when removing stale bytecode or fixing
/// times.
const MAX_WALK: usize = 200_000;

/// Most files and bytes staged from a charm's `src/` or `lib/`.
const MAX_STAGED_FILES: usize = 20_000;
const MAX_STAGED_BYTES: u64 = 256 << 20;

/// The time every file the guest sees is given: 2000-01-01T00:00:00Z.
const FIXED_TIME_SECS: u64 = 946_684_800;

/// The shim, compiled into `tools` when missing; none without a C compiler.
pub(crate) fn shim(tools: &Path) -> Option<PathBuf> {
    let tag: String = Sha256::digest(SHIM_SOURCE.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let so = tools.join(format!("build-shim-{tag}.so"));
    if so.is_file() {
        return Some(so);
    }
    let _ = fs::create_dir_all(tools);
    let src = tools.join(format!("build-shim-{tag}.c"));
    let tmp = crate::cached_dir::staging(&so);
    let built = fs::write(&src, SHIM_SOURCE).is_ok()
        && std::env::var("CC")
            .ok()
            .into_iter()
            .chain(["cc".to_string(), "gcc".to_string()])
            .any(|cc| {
                Command::new(cc)
                    .args(["-O2", "-shared", "-fPIC", "-o"])
                    .arg(&tmp)
                    .arg(&src)
                    .arg("-ldl")
                    .output()
                    .is_ok_and(|o| o.status.success())
            });
    if built && fs::rename(&tmp, &so).is_ok() {
        return Some(so);
    }
    let _ = fs::remove_file(&tmp);
    tracing::warn!(
        "no C compiler (cc, gcc or $CC): each Python build gets its own string-hash \
         secret (from the kernel's entropy), so set order may differ between builds"
    );
    None
}

/// Remove the guest's `.pyc` files under `dirs` (walks bounded).
pub(crate) fn remove_guest_bytecode(dirs: &[&Path]) {
    let mut budget = MAX_WALK;
    for d in dirs {
        walk(d, &mut budget);
    }
}

fn walk(dir: &Path, budget: &mut usize) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let Ok(kind) = e.file_type() else { continue };
        let path = e.path();
        if kind.is_dir() {
            walk(&path, budget);
        } else if kind.is_file() && e.file_name().to_string_lossy().ends_with(GUEST_PYC) {
            let _ = fs::remove_file(&path);
        }
    }
}

/// Copy `src` to `dst` (replacing it), without caches and hidden entries,
/// bounded in files, bytes and depth; then fix the copy's times. A link to
/// a file is copied as the file it names, as the input hash reads it; a
/// link to a directory, or a broken one, is refused by name (no loops).
pub(crate) fn stage(src: &Path, dst: &Path) -> std::io::Result<()> {
    if dst.exists() {
        fs::remove_dir_all(dst)?;
    }
    fs::create_dir_all(dst)?;
    let mut left = (MAX_STAGED_FILES, MAX_STAGED_BYTES);
    copy_tree(src, dst, &mut left, 0)?;
    fix_times(&[dst]);
    Ok(())
}

/// The deepest directory staged or hashed below `src/` or `lib/`.
pub(crate) const MAX_SOURCE_DEPTH: usize = 32;

/// Whether a source tree's entry is left out (caches, hidden, builds).
pub(crate) fn skipped(name: &str) -> bool {
    name.starts_with('.')
        || name == "__pycache__"
        || name == "target"
        || name.ends_with(".pyc")
        || name.ends_with(".wasm")
}

fn copy_tree(src: &Path, dst: &Path, left: &mut (usize, u64), depth: usize) -> std::io::Result<()> {
    if depth > MAX_SOURCE_DEPTH {
        return Err(std::io::Error::other(format!(
            "{}: more than {MAX_SOURCE_DEPTH} directories deep",
            src.display()
        )));
    }
    let mut entries: Vec<fs::DirEntry> = fs::read_dir(src)?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        if skipped(&name.to_string_lossy()) {
            continue;
        }
        let mut kind = e.file_type()?;
        let to = dst.join(&name);
        if kind.is_symlink() {
            kind = match fs::metadata(e.path()) {
                Ok(m) if m.is_file() => m.file_type(),
                Ok(_) => {
                    return Err(std::io::Error::other(format!(
                        "{} is a symbolic link to a directory: a build follows links to \
                         files only (link the directory above it, or copy it)",
                        e.path().display()
                    )));
                }
                Err(err) => {
                    return Err(std::io::Error::other(format!(
                        "{} is a broken symbolic link: {err}",
                        e.path().display()
                    )));
                }
            };
        }
        if kind.is_dir() {
            fs::create_dir_all(&to)?;
            copy_tree(&e.path(), &to, left, depth + 1)?;
        } else if kind.is_file() {
            let size = fs::metadata(e.path())?.len();
            if left.0 == 0 || size > left.1 {
                return Err(std::io::Error::other(format!(
                    "{} holds more than {MAX_STAGED_FILES} files or {} MiB",
                    src.display(),
                    MAX_STAGED_BYTES >> 20
                )));
            }
            *left = (left.0 - 1, left.1 - size);
            fs::copy(e.path(), &to)?;
        }
    }
    Ok(())
}

/// Give every file and directory under `dirs` (and the dirs) the fixed
/// time (walks bounded).
pub(crate) fn fix_times(dirs: &[&Path]) {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(FIXED_TIME_SECS);
    let times = fs::FileTimes::new().set_modified(t).set_accessed(t);
    let mut budget = MAX_WALK;
    fn visit(p: &Path, times: fs::FileTimes, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let Ok(meta) = fs::symlink_metadata(p) else {
            return;
        };
        if meta.is_dir() {
            if let Ok(entries) = fs::read_dir(p) {
                for e in entries.flatten() {
                    visit(&e.path(), times, budget);
                }
            }
        } else if !meta.is_file() {
            return;
        }
        if let Ok(f) = fs::File::open(p) {
            let _ = f.set_times(times);
        }
    }
    for d in dirs {
        visit(d, times, &mut budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_guests_bytecode_is_removed() {
        let d = std::env::temp_dir().join(format!("charmbox-pyc-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("a/__pycache__")).unwrap();
        fs::write(d.join("a/__pycache__/m.cpython-314.pyc"), "x").unwrap();
        fs::write(d.join("a/__pycache__/m.cpython-311.pyc"), "x").unwrap();
        fs::write(d.join("a/m.py"), "x").unwrap();
        remove_guest_bytecode(&[&d, Path::new("/nonexistent")]);
        assert!(!d.join("a/__pycache__/m.cpython-314.pyc").exists());
        assert!(d.join("a/__pycache__/m.cpython-311.pyc").exists());
        assert!(d.join("a/m.py").exists());
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn staging_copies_sources_with_one_time_and_skips_caches() {
        let d = std::env::temp_dir().join(format!("charmbox-stage-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("src/pkg/__pycache__")).unwrap();
        fs::write(d.join("src/charm.py"), "a").unwrap();
        fs::write(d.join("src/pkg/m.py"), "b").unwrap();
        fs::write(d.join("src/pkg/__pycache__/m.cpython-314.pyc"), "c").unwrap();
        fs::write(d.join("src/.hidden"), "d").unwrap();
        stage(&d.join("src"), &d.join("staged")).unwrap();
        assert_eq!(fs::read_to_string(d.join("staged/pkg/m.py")).unwrap(), "b");
        assert!(!d.join("staged/pkg/__pycache__").exists());
        assert!(!d.join("staged/.hidden").exists());
        for p in ["staged", "staged/charm.py", "staged/pkg", "staged/pkg/m.py"] {
            let t = fs::metadata(d.join(p)).unwrap().modified().unwrap();
            let secs = t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            assert_eq!(secs, FIXED_TIME_SECS, "{p}");
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn staging_follows_links_to_files_and_refuses_links_to_directories() {
        let d = std::env::temp_dir().join(format!("charmbox-stage-links-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("shared")).unwrap();
        fs::create_dir_all(d.join("src")).unwrap();
        fs::write(d.join("shared/charm.py"), "shared").unwrap();
        std::os::unix::fs::symlink(d.join("shared/charm.py"), d.join("src/charm.py")).unwrap();
        stage(&d.join("src"), &d.join("staged")).unwrap();
        assert_eq!(
            fs::read_to_string(d.join("staged/charm.py")).unwrap(),
            "shared"
        );
        // A loop through a directory link is refused, not walked.
        std::os::unix::fs::symlink(d.join("src"), d.join("src/again")).unwrap();
        let e = stage(&d.join("src"), &d.join("staged"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("again is a symbolic link to a directory"), "{e}");
        fs::remove_file(d.join("src/again")).unwrap();
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("src/gone.py")).unwrap();
        let e = stage(&d.join("src"), &d.join("staged"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("gone.py is a broken symbolic link"), "{e}");
        fs::remove_dir_all(&d).unwrap();
    }
}
