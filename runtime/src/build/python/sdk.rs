//! What charmbox ships into every Python component: the guest adapter
//! (`guest-sdk/python/charmbox_ops`) and the `juju:charm` WIT package,
//! embedded in the binary so `charmbox build` works from anywhere.

use std::fs;
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

macro_rules! embed {
    ($dir:literal, [$($name:literal),* $(,)?]) => {
        &[$(($name, include_str!(concat!("../../../../", $dir, "/", $name)))),*]
    };
}

/// The adapter package, file by file.
pub(crate) const ADAPTER: &[(&str, &str)] = embed!(
    "guest-sdk/python/charmbox_ops",
    [
        "__init__.py",
        "abccache.py",
        "build.py",
        "entry.py",
        "handler.py",
        "hooktools.py",
        "loopback.py",
        "machine.py",
        "metadata.py",
        "network.py",
        "nolzma.py",
        "nousers.py",
        "pebble.py",
        "preload.py",
        "storage.py",
        "tracebacks.py",
    ]
);

/// The WIT package the component targets.
pub(crate) const WIT: &[(&str, &str)] = embed!(
    "wit",
    [
        "hook-tools.wit",
        "kubernetes.wit",
        "loopback.wit",
        "machine.wit",
        "pebble.wit",
        "types.wit",
        "world.wit"
    ]
);

/// The package name of the adapter.
pub(crate) const PACKAGE: &str = "charmbox_ops";

/// Write the adapter as `<dir>/charmbox_ops/` and the WIT files into `wit`.
pub(crate) fn write(sdk_dir: &Path, wit_dir: &Path) -> io::Result<()> {
    write_all(&sdk_dir.join(PACKAGE), ADAPTER)?;
    write_all(wit_dir, WIT)
}

fn write_all(dir: &Path, files: &[(&str, &str)]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, text) in files {
        super::write_if_changed(&dir.join(name), text.as_bytes())?;
    }
    Ok(())
}

/// Feed every shipped file into a build's input hash.
pub(crate) fn hash_into(h: &mut Sha256) {
    for (name, text) in ADAPTER.iter().chain(WIT) {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the adapter and of wit/ is embedded (adding one means
    /// listing it above).
    #[test]
    fn embeds_every_file() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        for (dir, files, ext) in [
            ("guest-sdk/python/charmbox_ops", ADAPTER, "py"),
            ("wit", WIT, "wit"),
        ] {
            let mut on_disk: Vec<String> = fs::read_dir(root.join(dir))
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(&format!(".{ext}")))
                .collect();
            on_disk.sort();
            let embedded: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
            assert_eq!(embedded, on_disk, "{dir}");
        }
    }
}
