//! An opened charm: its metadata, its component loaded into a runtime, and
//! its directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CharmComponent, LoadError, Runtime};
use crate::charm::CharmMeta;

/// A charm: its metadata, its loaded component, and its directory.
pub struct Charm {
    pub meta: Arc<CharmMeta>,
    pub component: CharmComponent,
    pub dir: PathBuf,
}

/// Why a charm could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum CharmError {
    #[error(transparent)]
    Meta(#[from] crate::charm::MetaError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "no component for charm {name:?}: expected {path} (build it with `charmbox build {dir}`)"
    )]
    NotBuilt {
        name: String,
        path: String,
        dir: String,
    },
    #[error("{0} is neither a charm directory nor a .wasm component")]
    Unknown(String),
}

impl Charm {
    /// Open a charm from its directory (component `<name>.wasm` beside
    /// `charmcraft.yaml`) or from a component file with `charmcraft.yaml`
    /// beside it.
    pub fn open(rt: &Runtime, path: &Path) -> Result<Charm, CharmError> {
        let (dir, component) = if path.is_dir() {
            let meta = CharmMeta::load_dir(path)?;
            let wasm = path.join(format!("{}.wasm", meta.name));
            if !wasm.exists() {
                return Err(CharmError::NotBuilt {
                    name: meta.name,
                    path: wasm.display().to_string(),
                    dir: path.display().to_string(),
                });
            }
            (path.to_path_buf(), wasm)
        } else if path.is_file() {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            (dir.to_path_buf(), path.to_path_buf())
        } else {
            return Err(CharmError::Unknown(path.display().to_string()));
        };
        let meta = Arc::new(CharmMeta::load_dir(&dir)?);
        let component = rt.load(&component)?;
        Ok(Charm {
            meta,
            component,
            dir,
        })
    }
}
