//! Which directories of its machine a charm may write (`/etc/kvdb`): the
//! absolute paths it declares in charmcraft.yaml (`charmbox:
//! machine-files:`), and which files a State may hold for them. In the
//! simulator and State runs the directories are the simulated machine's
//! (the State's `machine.files`); under a unit agent, the real ones the
//! pack grants.

use std::collections::BTreeSet;

/// The most directories a charm may declare.
pub const MAX_DIRS: usize = 16;
/// The longest declared directory or file path.
pub const MAX_PATH: usize = 256;
/// The most files a State's machine may hold.
pub const MAX_FILES: usize = 1024;
/// The most entries (files, directories, links...) read back after an event.
pub const MAX_ENTRIES: usize = 4 * MAX_FILES;
/// The deepest file under a declared directory (path components below it).
pub const MAX_DEPTH: usize = 16;

/// Directories the guest already has, or that belong to the agent or the
/// kernel: never a charm's machine directory.
const RESERVED: [&str; 8] = [
    "/tmp",
    "/var/lib/charmbox",
    "/var/lib/juju",
    "/charm",
    "/proc",
    "/sys",
    "/dev",
    "/run",
];

/// Check the declared directories: absolute, plain components, not `/`,
/// not reserved, none inside another.
pub fn declared(dirs: Vec<String>) -> Result<BTreeSet<String>, String> {
    if dirs.len() > MAX_DIRS {
        return Err(format!(
            "{} directories declared, at most {MAX_DIRS}",
            dirs.len()
        ));
    }
    let mut set = BTreeSet::new();
    for dir in dirs {
        if !is_plain_path(&dir) || dir == "/" {
            return Err(format!(
                "{dir:?} is not a directory path (absolute, such as \"/etc/kvdb\": no `.`, \
                 `..`, empty parts or trailing `/`, at most {MAX_PATH} characters)"
            ));
        }
        if let Some(r) = RESERVED.iter().find(|r| within(&dir, r) || within(r, &dir)) {
            return Err(format!(
                "{dir:?} overlaps {r}, which the sandbox or the agent owns"
            ));
        }
        if let Some(other) = set
            .iter()
            .find(|o: &&String| within(&dir, o) || within(o, &dir))
        {
            return Err(format!("{dir:?} overlaps {other:?}: declare one of them"));
        }
        set.insert(dir);
    }
    Ok(set)
}

/// Whether `path` is `dir` or under it.
pub fn within(path: &str, dir: &str) -> bool {
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// An absolute path of plain components, within the length bound.
pub fn is_plain_path(path: &str) -> bool {
    path.len() <= MAX_PATH
        && path.starts_with('/')
        && !path.contains('\0')
        && (path == "/"
            || path[1..]
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != ".."))
}

/// The declared directory holding the file `path`, if the path is plain,
/// strictly under one of `dirs` and at most [`MAX_DEPTH`] below it.
pub fn directory_of<'a>(path: &str, dirs: &'a BTreeSet<String>) -> Option<&'a str> {
    if !is_plain_path(path) {
        return None;
    }
    let dir = dirs
        .iter()
        .find(|d| within(path, d) && path != d.as_str())?;
    let depth = path[dir.len()..].matches('/').count();
    (depth <= MAX_DEPTH).then_some(dir.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(d: &[&str]) -> Result<BTreeSet<String>, String> {
        declared(d.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn plain_absolute_directories_are_declared() {
        let d = decl(&["/etc/kvdb", "/etc/ssh/sshd_config.d", "/srv/app"]).unwrap();
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn relative_odd_reserved_and_overlapping_paths_are_refused() {
        for (bad, why) in [
            (&["etc/kvdb"][..], "not a directory path"),
            (&["/etc/../root"], "not a directory path"),
            (&["/etc/kvdb/"], "not a directory path"),
            (&["/etc//kvdb"], "not a directory path"),
            (&["/"], "not a directory path"),
            (&["/tmp/x"], "overlaps /tmp"),
            (&["/var/lib"], "overlaps /var/lib/charmbox"),
            (&["/var/lib/juju/agents"], "overlaps /var/lib/juju"),
            (&["/etc", "/etc/kvdb"], "overlaps \"/etc\""),
        ] {
            let e = decl(bad).unwrap_err();
            assert!(e.contains(why), "{bad:?}: {e}");
        }
        let many: Vec<String> = (0..=MAX_DIRS).map(|n| format!("/srv/d{n}")).collect();
        assert!(declared(many).unwrap_err().contains("at most 16"));
        assert!(decl(&[&format!("/srv/{}", "x".repeat(MAX_PATH))]).is_err());
    }

    #[test]
    fn a_file_belongs_to_the_declared_directory_holding_it() {
        let d = decl(&["/etc/kvdb"]).unwrap();
        assert_eq!(directory_of("/etc/kvdb/kvdb.conf", &d), Some("/etc/kvdb"));
        assert_eq!(directory_of("/etc/kvdb/a/b.conf", &d), Some("/etc/kvdb"));
        for outside in [
            "/etc/kvdb",
            "/etc/kvdbx/a",
            "/etc/kvdb/../passwd",
            "/etc/passwd",
            "kvdb.conf",
        ] {
            assert_eq!(directory_of(outside, &d), None, "{outside}");
        }
        let deep = format!("/etc/kvdb{}", "/d".repeat(MAX_DEPTH + 1));
        assert_eq!(directory_of(&deep, &d), None);
    }
}
