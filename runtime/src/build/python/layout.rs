//! A Python charm as charmcraft lays it out: `charmcraft.yaml`, the entry
//! point (`src/charm.py`, or `parts.<part>.charm-entrypoint`), charm
//! libraries in `lib/`, and `requirements.txt`.

use std::fs;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

/// The default `charm-entrypoint` of charmcraft's charm plugin.
pub(crate) const DEFAULT_ENTRY: &str = "src/charm.py";

/// Metadata files ops reads (charmcraft writes the last three at pack time).
pub(crate) const METADATA_FILES: [&str; 4] = [
    "charmcraft.yaml",
    "metadata.yaml",
    "actions.yaml",
    "config.yaml",
];

/// The files of a Python charm.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PythonCharm {
    /// The charm directory (absolute).
    pub dir: PathBuf,
    /// The entry point, relative to `dir` (`src/charm.py`).
    pub entry: String,
}

impl PythonCharm {
    /// The charm in `dir` when it is a Python charm: its entry point exists.
    pub(crate) fn detect(dir: &Path) -> Option<PythonCharm> {
        let entry = entry_point(dir);
        dir.join(&entry).is_file().then(|| PythonCharm {
            dir: dir.to_path_buf(),
            entry,
        })
    }

    /// The directory holding the entry point (on `sys.path`, as under Juju).
    pub(crate) fn src_dir(&self) -> PathBuf {
        self.dir
            .join(&self.entry)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.clone())
    }

    pub(crate) fn lib_dir(&self) -> PathBuf {
        self.dir.join("lib")
    }

    pub(crate) fn requirements(&self) -> PathBuf {
        self.dir.join("requirements.txt")
    }

    /// Feed the charm's own files (entry dir, `lib/`, metadata,
    /// requirements) into a build's input hash.
    pub(crate) fn hash_into(&self, h: &mut Sha256) {
        h.update(self.entry.as_bytes());
        let mut files = Vec::new();
        for name in METADATA_FILES.iter().chain(&["requirements.txt"]) {
            files.push(self.dir.join(name));
        }
        collect(&self.src_dir(), &mut files);
        collect(&self.lib_dir(), &mut files);
        for f in files {
            h.update(
                f.strip_prefix(&self.dir)
                    .unwrap_or(&f)
                    .to_string_lossy()
                    .as_bytes(),
            );
            h.update([0]);
            match fs::read(&f) {
                Ok(bytes) => h.update(&bytes),
                Err(_) => h.update(b"\xffabsent"),
            }
            h.update([0]);
        }
    }
}

/// Files under `dir`, sorted, without caches and hidden entries, as the
/// staged copy has them: links to files are read through, links to
/// directories are not followed (staging refuses them), and the walk is
/// bounded in depth and entries.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut seen = 0usize;
    collect_from(dir, out, 0, &mut seen);
}

/// The most entries the input hash looks at under `src/` or `lib/`.
const MAX_HASHED_ENTRIES: usize = 200_000;

fn collect_from(dir: &Path, out: &mut Vec<PathBuf>, depth: usize, seen: &mut usize) {
    if depth > super::reproducible::MAX_SOURCE_DEPTH {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        *seen += 1;
        if *seen > MAX_HASHED_ENTRIES {
            return;
        }
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        if super::reproducible::skipped(&name) {
            continue;
        }
        let Ok(own) = fs::symlink_metadata(&p) else {
            continue;
        };
        if own.is_dir() {
            collect_from(&p, out, depth + 1, seen);
        } else if !own.is_symlink() || p.is_file() {
            out.push(p);
        }
    }
}

/// `charm-entrypoint` of charmcraft.yaml's charm part, else `src/charm.py`.
/// Only a relative path inside the charm directory is taken.
fn entry_point(dir: &Path) -> String {
    let Ok(text) = crate::yaml::read_file(&dir.join("charmcraft.yaml")) else {
        return DEFAULT_ENTRY.to_string();
    };
    let Ok(yaml) = crate::yaml::from_str::<serde_norway::Value>(&text) else {
        return DEFAULT_ENTRY.to_string();
    };
    let declared = yaml
        .get("parts")
        .and_then(|p| p.as_mapping())
        .into_iter()
        .flat_map(|parts| parts.values())
        .find_map(|part| part.get("charm-entrypoint")?.as_str().map(str::to_string));
    match declared {
        Some(e) if is_inside(&e) => e.trim_start_matches("./").to_string(),
        _ => DEFAULT_ENTRY.to_string(),
    }
}

fn is_inside(rel: &str) -> bool {
    let p = Path::new(rel);
    rel.ends_with(".py")
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_charm(tag: &str, charmcraft: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("charmbox-pylayout-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("src")).unwrap();
        fs::write(dir.join("charmcraft.yaml"), charmcraft).unwrap();
        dir
    }

    #[test]
    fn the_entry_point_is_src_charm_py_unless_the_charm_part_says_otherwise() {
        let dir = temp_charm("entry", "name: x\ntype: charm\n");
        assert_eq!(PythonCharm::detect(&dir), None);
        fs::write(dir.join("src/charm.py"), "import ops\n").unwrap();
        let c = PythonCharm::detect(&dir).unwrap();
        assert_eq!(c.entry, "src/charm.py");
        assert_eq!(c.src_dir(), dir.join("src"));

        fs::write(
            dir.join("charmcraft.yaml"),
            "name: x\nparts:\n  charm:\n    plugin: charm\n    charm-entrypoint: ./src/main.py\n",
        )
        .unwrap();
        assert_eq!(PythonCharm::detect(&dir), None);
        fs::write(dir.join("src/main.py"), "").unwrap();
        assert_eq!(PythonCharm::detect(&dir).unwrap().entry, "src/main.py");

        // A path leaving the charm directory is not taken.
        fs::write(
            dir.join("charmcraft.yaml"),
            "name: x\nparts:\n  charm:\n    charm-entrypoint: ../evil.py\n",
        )
        .unwrap();
        assert_eq!(PythonCharm::detect(&dir).unwrap().entry, "src/charm.py");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_input_hash_follows_sources_and_ignores_caches() {
        let dir = temp_charm("hash", "name: x\n");
        fs::write(dir.join("src/charm.py"), "a").unwrap();
        let c = PythonCharm::detect(&dir).unwrap();
        let hash = |c: &PythonCharm| {
            let mut h = Sha256::new();
            c.hash_into(&mut h);
            h.finalize()
        };
        let first = hash(&c);
        fs::create_dir_all(dir.join("src/__pycache__")).unwrap();
        fs::write(dir.join("src/__pycache__/charm.cpython-311.pyc"), "x").unwrap();
        assert_eq!(hash(&c), first);
        fs::create_dir_all(dir.join("lib/charms/x/v0")).unwrap();
        fs::write(dir.join("lib/charms/x/v0/y.py"), "b").unwrap();
        let with_lib = hash(&c);
        assert_ne!(with_lib, first);
        fs::write(dir.join("requirements.txt"), "ops\n").unwrap();
        assert_ne!(hash(&c), with_lib);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_hashed_files_follow_file_links_and_never_loop() {
        let d = std::env::temp_dir().join(format!("charmbox-hash-links-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("src/pkg")).unwrap();
        fs::write(d.join("shared.py"), "x").unwrap();
        fs::write(d.join("src/pkg/m.py"), "m").unwrap();
        std::os::unix::fs::symlink(d.join("shared.py"), d.join("src/charm.py")).unwrap();
        // A directory link back up: not followed, so the walk ends.
        std::os::unix::fs::symlink(d.join("src"), d.join("src/pkg/loop")).unwrap();
        let mut files = Vec::new();
        collect(&d.join("src"), &mut files);
        let rel: Vec<_> = files
            .iter()
            .map(|f| f.strip_prefix(&d).unwrap().to_owned())
            .collect();
        assert_eq!(
            rel,
            [PathBuf::from("src/charm.py"), PathBuf::from("src/pkg/m.py")]
        );
        fs::remove_dir_all(&d).unwrap();
    }
}
