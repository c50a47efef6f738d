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
