//! Writing the .charm zip: entries sorted, fixed times and modes, so the
//! same inputs give the same bytes.

use std::io::Write;
use std::path::Path;

use zip::write::SimpleFileOptions;

/// Write `files` (name, bytes, unix mode) as a zip at `out`, through a
/// temporary file renamed into place.
pub fn write_zip(out: &Path, mut files: Vec<(String, Vec<u8>, u32)>) -> std::io::Result<()> {
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let tmp = out.with_extension("charm.partial");
    let file = std::fs::File::create(&tmp)?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let written = (|| -> zip::result::ZipResult<()> {
        for (name, bytes, mode) in &files {
            let opts = SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .last_modified_time(zip::DateTime::default())
                .unix_permissions(*mode);
            zip.start_file(name.as_str(), opts)?;
            zip.write_all(bytes)?;
        }
        zip.finish()?.flush()?;
        Ok(())
    })();
    match written {
        Ok(()) => std::fs::rename(&tmp, out),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(std::io::Error::other(e))
        }
    }
}

/// The most a .charm unpacks to, and the most entries it may have.
const MAX_UNPACKED_BYTES: u64 = 2 << 30;
const MAX_ENTRIES: usize = 10_000;

/// Unpack the .charm `charm` into `dir` as Juju does (names confined to
/// `dir`, unix modes kept), bounded in entries and bytes.
pub fn unpack(charm: &Path, dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let bad = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(charm)?).map_err(|e| bad(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(bad(format!("more than {MAX_ENTRIES} entries")));
    }
    let mut left = MAX_UNPACKED_BYTES;
    for i in 0..zip.len() {
        let f = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let Some(name) = f.enclosed_name() else {
            return Err(bad(format!("entry {:?} leaves the directory", f.name())));
        };
        let path = dir.join(name);
        if f.is_dir() {
            std::fs::create_dir_all(&path)?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mode = f.unix_mode();
        let mut out = std::fs::File::create(&path)?;
        let copied = std::io::copy(&mut std::io::Read::take(f, left + 1), &mut out)?;
        if copied > left {
            return Err(bad(format!(
                "unpacks to more than {} MiB",
                MAX_UNPACKED_BYTES >> 20
            )));
        }
        left -= copied;
        if let Some(mode) = mode {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o777))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("charmbox-zip-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn unpack_gives_back_what_was_packed_and_refuses_entries_that_leave_the_directory() {
        use std::os::unix::fs::PermissionsExt;
        let d = temp("roundtrip");
        let charm = d.join("a.charm");
        let files = vec![
            ("dispatch".into(), b"#!x".to_vec(), 0o4755),
            ("m/x.yaml".into(), b"a: 1".to_vec(), 0o644),
        ];
        write_zip(&charm, files).unwrap();
        let out = d.join("out");
        unpack(&charm, &out).unwrap();
        assert_eq!(std::fs::read(out.join("m/x.yaml")).unwrap(), b"a: 1");
        let mode = std::fs::metadata(out.join("dispatch"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o755, "set-id bits are dropped");

        let evil = d.join("evil.charm");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&evil).unwrap());
        zip.start_file("../escaped", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"x").unwrap();
        zip.finish().unwrap();
        let err = unpack(&evil, &d.join("out2")).unwrap_err().to_string();
        assert!(err.contains("leaves the directory"), "{err}");
        assert!(!d.join("escaped").exists());
        let _ = std::fs::remove_dir_all(&d);
    }
}
