//! The files `charmcraft pack` writes that a source tree lacks: ops reads
//! `metadata.yaml`, `actions.yaml` and `config.yaml` from the charm
//! directory, and charmcraft writes them from `charmcraft.yaml`. For a
//! source tree without them, charmbox splits `charmcraft.yaml` the same way
//! (read with the guarded YAML loader) into a directory laid over the charm
//! directory in the hook's view. The files are JSON, which YAML readers
//! read as YAML.

use std::path::{Path, PathBuf};

use sha2::Digest;

use super::NativeError;

/// The charmcraft.yaml keys that go to their own files.
const SPLIT: [(&str, &str); 2] = [("actions", "actions.yaml"), ("config", "config.yaml")];

/// A directory with the charm's metadata files, or none when the charm
/// directory has its own `metadata.yaml` (a packed charm).
pub fn metadata_layer(dir: &Path, cache: &Path) -> Result<Option<PathBuf>, NativeError> {
    if dir.join("metadata.yaml").is_file() {
        return Ok(None);
    }
    let path = dir.join("charmcraft.yaml");
    let bad = |m: String| NativeError::Metadata(format!("{}: {m}", path.display()));
    let text = crate::yaml::read_file(&path).map_err(|e| bad(e.to_string()))?;
    let all: serde_json::Value = crate::yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let Some(all) = all.as_object() else {
        return Err(bad("not a map".into()));
    };
    let key: String = sha2::Sha256::digest(text.as_bytes())[..10]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let out = cache.join(key);
    let _ = std::fs::create_dir_all(cache);
    let failed = |e: std::io::Error| NativeError::Metadata(format!("{}: {e}", out.display()));
    crate::cached_dir::fill_once(
        &out,
        |tmp| {
            for (file, text) in split_metadata(all) {
                std::fs::write(tmp.join(file), text).map_err(failed)?;
            }
            Ok(())
        },
        NativeError::Metadata,
    )
    .map(Some)
}

/// charmcraft.yaml's keys split as `charmcraft pack` writes them:
/// `actions.yaml`, `config.yaml`, and `metadata.yaml` with the rest (JSON
/// text, which YAML readers read).
pub fn split_metadata(
    all: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(&'static str, String)> {
    let mut meta = all.clone();
    let mut files = Vec::new();
    for (k, file) in SPLIT {
        if let Some(v) = meta.remove(k) {
            files.push((file, v.to_string()));
        }
    }
    files.push(("metadata.yaml", serde_json::Value::Object(meta).to_string()));
    files
}
