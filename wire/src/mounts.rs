//! The filesystem a native hook sees: the machine's own, with Juju's paths
//! grafted in — `/charm/containers/<name>/pebble.socket` (where ops looks
//! for Pebble), the unit's charm directory under `/var/lib/juju/agents`,
//! and the hook tools under `/var/lib/juju/tools` — without touching the
//! machine's filesystem.
//!
//! The host writes a [`MountPlan`]; a fresh, single-threaded process
//! (`charmbox internal-enter PLAN`) carries it out with [`enter`]: a private
//! mount namespace (inside a user namespace when not root), a tmpfs root
//! whose entries are bind mounts of the machine's, the grafts, `chroot`,
//! then `exec` of the hook. The namespace goes when the hook's last process
//! does. Nothing here is a sandbox: a native charm is a process of the
//! user running charmbox (see docs/native.md).

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What to graft at one path of the hook's view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Graft {
    /// The host directory (or file) `source`, read-write.
    Bind { at: String, source: PathBuf },
    /// The `lower` directories read-only (the first on top), with writes
    /// going to `upper` (overlayfs; `work` is its scratch directory on the
    /// same filesystem as `upper`).
    Overlay {
        at: String,
        lower: Vec<PathBuf>,
        upper: PathBuf,
        work: PathBuf,
    },
}

impl Graft {
    fn at(&self) -> &str {
        match self {
            Graft::Bind { at, .. } | Graft::Overlay { at, .. } => at,
        }
    }
}

/// The largest mount plan the helper reads (the plan holds the hook's
/// argv and environment; the host refuses to write a larger one).
pub const MAX_PLAN_BYTES: u64 = 16 << 20;

/// Everything the entering process needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MountPlan {
    /// An empty host directory the hook's root is built on.
    pub root: PathBuf,
    pub grafts: Vec<Graft>,
    /// The hook's working directory, in its view.
    pub cwd: String,
    /// The hook's command and its whole environment.
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
}

/// Why the hook's filesystem could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("{what}: {source}")]
    Sys {
        what: String,
        #[source]
        source: io::Error,
    },
    #[error("the graft path {0:?} is not absolute and clean")]
    BadPath(String),
    #[error("the path {0} holds a character overlayfs options cannot carry (',', ':' or '\\\\')")]
    OverlayPath(String),
    #[error("the plan has no command")]
    NoCommand,
}

fn sys(what: impl Into<String>) -> impl FnOnce(io::Error) -> MountError {
    let what = what.into();
    move |source| MountError::Sys { what, source }
}

fn cstr(p: &Path) -> Result<CString, MountError> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| MountError::BadPath(p.display().to_string()))
}

fn check(rc: libc::c_int, what: impl Into<String>) -> Result<(), MountError> {
    if rc == 0 {
        Ok(())
    } else {
        Err(sys(what)(io::Error::last_os_error()))
    }
}

fn mount(
    source: Option<&Path>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<(), MountError> {
    let what = format!(
        "mount {} on {}",
        source.map_or("none".into(), |s| s.display().to_string()),
        target.display()
    );
    let source = source.map(cstr).transpose()?;
    let target_c = cstr(target)?;
    let fstype = fstype.map(|f| CString::new(f).expect("static fs type"));
    let data = data
        .map(|d| CString::new(d).map_err(|_| MountError::BadPath(d.to_string())))
        .transpose()?;
    // SAFETY: every pointer is a NUL-terminated string that outlives the call, or null.
    let rc = unsafe {
        libc::mount(
            source.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            target_c.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags,
            data.as_ref()
                .map_or(std::ptr::null(), |s| s.as_ptr().cast()),
        )
    };
    check(rc, what)
}

/// The components of a clean absolute path (`/a/b` → `[a, b]`).
fn components(at: &str) -> Result<Vec<String>, MountError> {
    let parts: Vec<&str> = at.split('/').skip(1).collect();
    let clean = at.starts_with('/')
        && parts
            .iter()
            .all(|p| !p.is_empty() && *p != "." && *p != "..");
    if !clean {
        return Err(MountError::BadPath(at.to_string()));
    }
    Ok(parts.into_iter().map(String::from).collect())
}

/// Make a private mount namespace (and a user namespace mapping the caller
/// to itself when not root).
fn unshare_namespaces() -> Result<(), MountError> {
    // SAFETY: plain syscalls on this single-threaded process.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    if uid == 0 {
        // SAFETY: as above.
        return check(
            unsafe { libc::unshare(libc::CLONE_NEWNS) },
            "unshare(CLONE_NEWNS)",
        );
    }
    // SAFETY: as above.
    check(
        unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) },
        "unshare(CLONE_NEWUSER | CLONE_NEWNS) (are unprivileged user namespaces allowed?)",
    )?;
    std::fs::write("/proc/self/setgroups", "deny").map_err(sys("write /proc/self/setgroups"))?;
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))
        .map_err(sys("write /proc/self/uid_map"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))
        .map_err(sys("write /proc/self/gid_map"))
}

/// Fill the (tmpfs) directory `new` with `real`'s entries, each a bind
/// mount of the original, except those a graft goes through: a graft's
/// directories are made here and descended into, so a graft never changes
/// what is on the machine's disk.
fn mirror(
    real: &Path,
    new: &Path,
    grafts: &BTreeMap<String, Vec<Vec<String>>>,
) -> Result<(), MountError> {
    let entries = std::fs::read_dir(real).map_err(sys(format!("read {}", real.display())))?;
    for entry in entries {
        let entry = entry.map_err(sys(format!("read {}", real.display())))?;
        let name = entry.file_name();
        let (from, to) = (real.join(&name), new.join(&name));
        let meta =
            std::fs::symlink_metadata(&from).map_err(sys(format!("stat {}", from.display())))?;
        if let Some(below) = name.to_str().and_then(|n| grafts.get(n)) {
            let passes_through = below.iter().all(|rest| !rest.is_empty());
            if passes_through && meta.is_dir() {
                std::fs::create_dir(&to).map_err(sys(format!("mkdir {}", to.display())))?;
                mirror(&from, &to, &group(below))?;
            }
            // Otherwise the graft replaces this entry.
            continue;
        }
        if meta.file_type().is_symlink() {
            let target =
                std::fs::read_link(&from).map_err(sys(format!("readlink {}", from.display())))?;
            std::os::unix::fs::symlink(&target, &to)
                .map_err(sys(format!("symlink {}", to.display())))?;
            continue;
        }
        if meta.is_dir() {
            std::fs::create_dir(&to).map_err(sys(format!("mkdir {}", to.display())))?;
        } else {
            std::fs::File::create(&to).map_err(sys(format!("create {}", to.display())))?;
        }
        mount(Some(&from), &to, None, libc::MS_BIND | libc::MS_REC, None)?;
    }
    Ok(())
}

/// Graft paths grouped by their first component.
fn group(paths: &[Vec<String>]) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for p in paths {
        if let Some((first, rest)) = p.split_first() {
            out.entry(first.clone()).or_default().push(rest.to_vec());
        }
    }
    out
}

fn overlay_option(p: &Path) -> Result<String, MountError> {
    let s = p.display().to_string();
    if s.contains([',', ':', '\\']) {
        return Err(MountError::OverlayPath(s));
    }
    Ok(s)
}

fn graft(root: &Path, g: &Graft, rootless: bool) -> Result<(), MountError> {
    let target = components(g.at())?
        .iter()
        .fold(root.to_path_buf(), |p, c| p.join(c));
    match g {
        Graft::Bind { source, .. } => {
            if source.is_dir() {
                std::fs::create_dir_all(&target)
            } else {
                target
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::File::create(&target).map(drop))
            }
            .map_err(sys(format!("make {}", target.display())))?;
            mount(
                Some(source),
                &target,
                None,
                libc::MS_BIND | libc::MS_REC,
                None,
            )
        }
        Graft::Overlay {
            lower, upper, work, ..
        } => {
            std::fs::create_dir_all(&target).map_err(sys(format!("mkdir {}", target.display())))?;
            let lower = lower
                .iter()
                .map(|l| overlay_option(l))
                .collect::<Result<Vec<_>, _>>()?
                .join(":");
            let mut data = format!(
                "lowerdir={lower},upperdir={},workdir={}",
                overlay_option(upper)?,
                overlay_option(work)?
            );
            if rootless {
                data.push_str(",userxattr");
            }
            mount(
                Some(Path::new("overlay")),
                &target,
                Some("overlay"),
                0,
                Some(&data),
            )
        }
    }
}

/// Carry out `plan` and exec the hook; returns only on failure.
pub fn enter(plan: &MountPlan) -> MountError {
    match enter_inner(plan) {
        Ok(e) | Err(e) => e,
    }
}

fn enter_inner(plan: &MountPlan) -> Result<MountError, MountError> {
    let Some(program) = plan.argv.first() else {
        return Err(MountError::NoCommand);
    };
    let paths = plan
        .grafts
        .iter()
        .map(|g| components(g.at()))
        .collect::<Result<Vec<_>, _>>()?;
    // SAFETY: a plain syscall.
    let rootless = unsafe { libc::geteuid() } != 0;
    unshare_namespaces()?;
    mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )?;
    mount(
        Some(Path::new("tmpfs")),
        &plan.root,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NODEV,
        Some("mode=0755"),
    )?;
    mirror(Path::new("/"), &plan.root, &group(&paths))?;
    for g in &plan.grafts {
        graft(&plan.root, g, rootless)?;
    }
    std::env::set_current_dir(&plan.root).map_err(sys(format!("chdir {}", plan.root.display())))?;
    let dot = CString::new(".").expect("static");
    // SAFETY: a NUL-terminated path.
    check(unsafe { libc::chroot(dot.as_ptr()) }, "chroot")?;
    std::env::set_current_dir(&plan.cwd).map_err(sys(format!("chdir {}", plan.cwd)))?;
    let err = std::process::Command::new(program)
        .args(&plan.argv[1..])
        .env_clear()
        .envs(plan.env.iter().map(|(k, v)| (k, v)))
        .exec();
    Ok(sys(format!("exec {program}"))(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graft_paths_must_be_absolute_and_clean() {
        assert_eq!(
            components("/charm/containers").unwrap(),
            ["charm", "containers"]
        );
        for bad in ["charm", "/a/../b", "/a//b", "/a/./b", "/", "/a/"] {
            assert!(
                matches!(components(bad), Err(MountError::BadPath(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn grafts_group_by_their_first_component() {
        let g = group(&[
            vec!["var".into(), "lib".into()],
            vec!["var".into(), "log".into()],
            vec!["charm".into()],
        ]);
        assert_eq!(g["var"], [vec!["lib".to_string()], vec!["log".to_string()]]);
        assert_eq!(g["charm"], [Vec::<String>::new()]);
    }

    #[test]
    fn overlay_options_refuse_separators() {
        assert!(overlay_option(Path::new("/tmp/a,b")).is_err());
        assert!(overlay_option(Path::new("/tmp/a:b")).is_err());
        assert_eq!(overlay_option(Path::new("/tmp/ab")).unwrap(), "/tmp/ab");
    }
}
