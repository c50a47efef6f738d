//! The path mapping against real symlinks made on the host: whatever the
//! guest plants in its directories, nothing outside them is read or written.

use super::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;

/// A host layout: `<base>/unit/{tmp,state}` (read-write), `<base>/charm`
/// (read-only, the cwd) and `<base>/outside/secret.txt`, the canary.
struct Fixture {
    base: PathBuf,
    fs: GuestFs,
}

const CANARY: &[u8] = b"host secret";
const CHARM: &str = "/var/lib/juju/agents/unit-app-0/charm";

impl Fixture {
    fn new(name: &str) -> Fixture {
        let base =
            std::env::temp_dir().join(format!("charmbox-guest-fs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        for d in ["unit/tmp", "unit/state", "charm/src", "outside"] {
            fs::create_dir_all(base.join(d)).unwrap();
        }
        fs::write(base.join("outside/secret.txt"), CANARY).unwrap();
        fs::write(base.join("charm/src/charm.py"), b"print()").unwrap();
        let mut gfs = GuestFs::new(CHARM);
        gfs.mount_path("/tmp", &base.join("unit/tmp"), true)
            .unwrap();
        gfs.mount_path("/var/lib/charmbox/state", &base.join("unit/state"), true)
            .unwrap();
        gfs.mount_path(CHARM, &base.join("charm"), false).unwrap();
        Fixture { base, fs: gfs }
    }

    fn host(&self, rel: &str) -> PathBuf {
        self.base.join(rel)
    }

    /// The canary is intact and nothing new appeared beside it.
    fn outside_untouched(&self) {
        assert_eq!(fs::read(self.host("outside/secret.txt")).unwrap(), CANARY);
        let names: Vec<_> = fs::read_dir(self.host("outside"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec!["secret.txt"], "nothing written outside");
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

fn escapes(r: Result<impl std::fmt::Debug, FileError>, path: &str, dir: &str) {
    let e = r.expect_err("refused").to_string();
    assert_eq!(
        e,
        format!("open {path}: permission denied (the path leads outside {dir})")
    );
}

#[test]
fn plain_files_are_read_and_written_in_every_mount() {
    let f = Fixture::new("plain");
    f.fs.write("/tmp/a", b"one").unwrap();
    assert_eq!(fs::read(f.host("unit/tmp/a")).unwrap(), b"one");
    f.fs.write("/tmp/a", b"x").unwrap();
    assert_eq!(f.fs.read("/tmp/a", 10).unwrap(), b"x", "truncated");
    f.fs.write("/var/lib/charmbox/state/s", b"st").unwrap();
    assert_eq!(fs::read(f.host("unit/state/s")).unwrap(), b"st");
    // Relative paths resolve against the charm dir; `..` is lexical.
    assert_eq!(f.fs.read("src/charm.py", 100).unwrap(), b"print()");
    assert_eq!(f.fs.read("./src/../src/charm.py", 100).unwrap(), b"print()");
    assert_eq!(f.fs.read("/tmp/../tmp/a", 10).unwrap(), b"x");
    assert_eq!(
        f.fs.read("../../../../../../tmp/a", 10).unwrap(),
        b"x",
        "`..` stops at the guest's /"
    );
    // Symlinks that stay inside the directory are followed.
    symlink("a", f.host("unit/tmp/to-a")).unwrap();
    fs::create_dir(f.host("unit/tmp/sub")).unwrap();
    symlink("../a", f.host("unit/tmp/sub/up")).unwrap();
    assert_eq!(f.fs.read("/tmp/to-a", 10).unwrap(), b"x");
    assert_eq!(f.fs.read("/tmp/sub/up", 10).unwrap(), b"x");
    f.fs.write("/tmp/to-a", b"through").unwrap();
    assert_eq!(fs::read(f.host("unit/tmp/a")).unwrap(), b"through");
}

#[test]
fn errors_read_like_gos() {
    let f = Fixture::new("errors");
    let err = |r: Result<Vec<u8>, FileError>| r.unwrap_err().to_string();
    assert_eq!(
        err(f.fs.read("/tmp/nope", 10)),
        "open /tmp/nope: no such file or directory"
    );
    assert_eq!(
        err(f.fs.read("nope", 10)),
        "open nope: no such file or directory"
    );
    assert_eq!(err(f.fs.read("/tmp", 10)), "read /tmp: is a directory");
    assert_eq!(err(f.fs.read("", 10)), "open : no such file or directory");
    assert_eq!(
        f.fs.write("/tmp/missing/x", b"").unwrap_err().to_string(),
        "open /tmp/missing/x: no such file or directory"
    );
    assert_eq!(
        f.fs.write("/tmp", b"").unwrap_err().to_string(),
        "open /tmp: is a directory"
    );
    // The charm directory is read-only, as the guest's preopen.
    assert_eq!(
        f.fs.write("out.yaml", b"x").unwrap_err().to_string(),
        "open out.yaml: read-only file system"
    );
    assert!(!f.host("charm/out.yaml").exists());
}

#[test]
fn paths_under_no_directory_are_refused() {
    let f = Fixture::new("nomount");
    let want = |p: &str| {
        format!(
            "open {p}: permission denied (not under the guest's directories: \
             /tmp, /var/lib/charmbox/state, {CHARM})"
        )
    };
    for p in [
        "/etc/passwd",
        "/tmp/../etc/passwd",
        "/var/lib/charmbox",
        "/tmpfoo",
    ] {
        assert_eq!(f.fs.read(p, 100).unwrap_err().to_string(), want(p));
        assert_eq!(f.fs.write(p, b"x").unwrap_err().to_string(), want(p));
    }
    // The canary's host path is a guest path like any other: under the
    // guest's /tmp when the host's temporary directory is /tmp, where no
    // such file is.
    let host_secret = f.host("outside/secret.txt");
    let host_secret = host_secret.to_str().unwrap();
    assert!(f.fs.read(host_secret, 100).is_err());
    assert!(f.fs.write(host_secret, b"x").is_err());
    f.outside_untouched();
}

#[test]
fn symlinks_leading_out_are_refused() {
    let f = Fixture::new("escape");
    let tmp = |n: &str| f.host("unit/tmp").join(n);
    let host_secret = f.host("outside/secret.txt");
    // Relative, absolute, to a directory, a chain, dangling.
    symlink("../../outside/secret.txt", tmp("rel")).unwrap();
    symlink(&host_secret, tmp("abs")).unwrap();
    symlink("../../outside", tmp("dir")).unwrap();
    symlink("chain2", tmp("chain1")).unwrap();
    symlink("chain3", tmp("chain2")).unwrap();
    symlink("rel", tmp("chain3")).unwrap();
    symlink("../../outside/new.txt", tmp("dangling")).unwrap();
    symlink("/etc/passwd", tmp("etc")).unwrap();
    for p in ["/tmp/rel", "/tmp/abs", "/tmp/dir/secret.txt", "/tmp/chain1"] {
        escapes(f.fs.read(p, 1 << 20), p, "/tmp");
        escapes(f.fs.write(p, b"pwned"), p, "/tmp");
    }
    escapes(f.fs.read("/tmp/etc", 1 << 20), "/tmp/etc", "/tmp");
    escapes(f.fs.write("/tmp/dangling", b"x"), "/tmp/dangling", "/tmp");
    escapes(
        f.fs.write("/tmp/dir/new.txt", b"x"),
        "/tmp/dir/new.txt",
        "/tmp",
    );
    // A link into another of the guest's own directories leaves this one.
    symlink("../state", tmp("state")).unwrap();
    escapes(f.fs.write("/tmp/state/x", b"x"), "/tmp/state/x", "/tmp");
    // The same from the state directory, and through a relative path.
    symlink(
        "../../outside/secret.txt",
        f.host("unit/state").join("link"),
    )
    .unwrap();
    let p = "/var/lib/charmbox/state/link";
    escapes(f.fs.read(p, 100), p, "/var/lib/charmbox/state");
    // The read-only charm directory: symlinks leaving it are refused too.
    symlink("../outside/secret.txt", f.host("charm/leak")).unwrap();
    escapes(f.fs.read("leak", 100), "leak", CHARM);
    f.outside_untouched();
    assert!(!f.host("unit/state/x").exists());
}

#[test]
fn a_symlink_loop_is_an_error_not_a_hang() {
    let f = Fixture::new("loop");
    symlink("b", f.host("unit/tmp/a")).unwrap();
    symlink("a", f.host("unit/tmp/b")).unwrap();
    let e = f.fs.read("/tmp/a", 10).unwrap_err().to_string();
    assert!(e.starts_with("open /tmp/a: "), "{e}");
    assert!(f.fs.write("/tmp/a", b"x").is_err());
}

#[test]
fn fifos_are_refused_without_blocking() {
    let f = Fixture::new("fifo");
    let fifo = f.host("unit/tmp/fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    assert_eq!(
        f.fs.read("/tmp/fifo", 10).unwrap_err().to_string(),
        "open /tmp/fifo: not a regular file"
    );
    // No reader: opening for writing fails at once (ENXIO).
    assert_eq!(
        f.fs.write("/tmp/fifo", b"x").unwrap_err().to_string(),
        "open /tmp/fifo: no such device or address"
    );
}

#[test]
fn reads_are_bounded() {
    let f = Fixture::new("bound");
    fs::write(f.host("unit/tmp/big"), vec![b'x'; 1001]).unwrap();
    assert_eq!(f.fs.read("/tmp/big", 1001).unwrap().len(), 1001);
    assert_eq!(
        f.fs.read("/tmp/big", 1000).unwrap_err(),
        FileError::TooLarge {
            path: "/tmp/big".into(),
            size: 1001,
            limit: 1000
        }
    );
    assert_eq!(
        f.fs.read("/tmp/big", 1000).unwrap_err().to_string(),
        "read /tmp/big: file too large: 1001 bytes (hook tools read at most 1000)"
    );
}

#[test]
fn the_longest_guest_prefix_wins() {
    let f = Fixture::new("nested");
    let mut gfs = GuestFs::new("/");
    fs::create_dir_all(f.host("a/b")).unwrap();
    fs::create_dir_all(f.host("inner")).unwrap();
    fs::write(f.host("a/b/f"), b"outer").unwrap();
    fs::write(f.host("inner/f"), b"inner").unwrap();
    gfs.mount_path("/a", &f.host("a"), false).unwrap();
    gfs.mount_path("/a/b/", &f.host("inner"), true).unwrap();
    assert_eq!(gfs.read("/a/b/f", 10).unwrap(), b"inner");
    assert_eq!(gfs.read("a/b/f", 10).unwrap(), b"inner");
    gfs.write("/a/b/g", b"w").unwrap();
    assert!(f.host("inner/g").exists());
    assert_eq!(
        gfs.write("/a/c", b"w").unwrap_err().to_string(),
        "open /a/c: read-only file system"
    );
}
