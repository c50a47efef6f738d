//! Every YAML document charmbox reads goes through here: Pebble layers (a
//! guest's add-layer and State layers), hook tools' `--file` maps,
//! `charmcraft.yaml`, simulator scenario files.
//!
//! libyaml and serde_norway are not safe on hostile input: a few aliases
//! to large anchored nodes expand quadratically (a 140 KB text can ask
//! for gigabytes), and deep flow nesting makes libyaml's scanner quadratic
//! (400 KB of `[`: 80 s). So before the real load, one linear pass over
//! libyaml's events ([`guard`]) bounds the input size, the nesting depth
//! (aliases included) and the size of the document with every alias
//! expanded, counted from the sizes of the anchored nodes without
//! expanding anything. It stops at the first node over a limit, so a
//! hostile text costs no more than reading it once.

mod events;
mod limits;

use serde::de::DeserializeOwned;

use events::{Event, Events};
pub use limits::{
    DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_NODES, Limits, limits, set_limits,
};

/// Why a YAML text was refused or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    #[error(
        "yaml: the input is {size} bytes, more than charmbox's limit of {limit} (--yaml-max-bytes)"
    )]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "yaml: line {line}: nested deeper than charmbox's limit of {limit} levels (--yaml-max-depth)"
    )]
    TooDeep { line: u64, limit: usize },
    #[error(
        "yaml: line {line}: {} more than charmbox's limit of {limit} nodes (--yaml-max-nodes)",
        if *.aliased { "aliases expand the document to" } else { "the document has" }
    )]
    TooManyNodes {
        line: u64,
        limit: u64,
        aliased: bool,
    },
    #[error(
        "yaml: line {line}: aliases expand the document's scalars to more than charmbox's limit of {limit} bytes (--yaml-max-bytes)"
    )]
    TooMuchText { line: u64, limit: u64 },
    #[error("yaml: line {line}: alias *{anchor} refers to a node that contains it")]
    RecursiveAlias { line: u64, anchor: String },
    /// What serde_norway reported (syntax or type), after the guard passed.
    #[error(transparent)]
    Load(#[from] serde_norway::Error),
    /// The file could not be read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl YamlError {
    /// Whether a charmbox limit (not the text's syntax or shape) refused it.
    pub fn is_limit(&self) -> bool {
        !matches!(self, YamlError::Load(_) | YamlError::Io(_))
    }
}

/// An anchored node: its size with its own aliases expanded, and how many
/// collections deep it goes (0 for a scalar).
#[derive(Clone, Copy)]
struct Sized {
    nodes: u64,
    text: u64,
    height: usize,
}

/// One open collection.
struct Open {
    anchor: Option<Vec<u8>>,
    /// Running totals when it opened.
    nodes: u64,
    text: u64,
    /// The deepest child so far.
    height: usize,
    /// Its place in the anchor table while open (for recursive aliases).
    id: usize,
}

/// An anchor's current definition.
enum Anchor {
    /// Still open: an alias to it would contain itself.
    Open(usize),
    Done(Sized),
}

/// Check `text` against `limits` in one pass over libyaml's events,
/// without building anything. A syntax error ends the pass quietly: the
/// real load stops at the same place and reports it.
pub fn guard(text: &str, limits: &Limits) -> Result<(), YamlError> {
    let size = text.len() as u64;
    if size > limits.max_bytes {
        return Err(YamlError::TooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    let mut anchors: std::collections::HashMap<Vec<u8>, Anchor> = Default::default();
    let mut open: Vec<Open> = Vec::new();
    let (mut nodes, mut text_bytes, mut aliased) = (0u64, 0u64, false);
    let mut next_id = 0usize;
    for (event, line) in Events::new(text) {
        // What this event adds to the document, and how deep it reaches.
        let (add, height) = match event {
            Event::DocumentStart => {
                // Anchors do not cross documents (serde_norway's rule).
                anchors.clear();
                continue;
            }
            Event::Scalar { anchor, len } => {
                let s = Sized {
                    nodes: 1,
                    text: len,
                    height: 0,
                };
                if let Some(a) = anchor {
                    anchors.insert(a, Anchor::Done(s));
                }
                (s, 0)
            }
            Event::Alias { anchor } => match anchors.get(&anchor) {
                Some(Anchor::Done(s)) => {
                    aliased = true;
                    (*s, s.height)
                }
                Some(Anchor::Open(_)) => {
                    return Err(YamlError::RecursiveAlias {
                        line,
                        anchor: String::from_utf8_lossy(&anchor).into_owned(),
                    });
                }
                // Unknown: the real load refuses it.
                None => (
                    Sized {
                        nodes: 1,
                        text: 0,
                        height: 0,
                    },
                    0,
                ),
            },
            Event::CollectionStart { anchor } => {
                if open.len() + 1 > limits.max_depth {
                    return Err(YamlError::TooDeep {
                        line,
                        limit: limits.max_depth,
                    });
                }
                let id = next_id;
                next_id += 1;
                if let Some(a) = &anchor {
                    anchors.insert(a.clone(), Anchor::Open(id));
                }
                open.push(Open {
                    anchor,
                    nodes,
                    text: text_bytes,
                    height: 0,
                    id,
                });
                nodes += 1;
                check_totals(nodes, text_bytes, aliased, line, limits)?;
                continue;
            }
            Event::CollectionEnd => {
                let Some(o) = open.pop() else { continue };
                let s = Sized {
                    nodes: nodes - o.nodes,
                    text: text_bytes - o.text,
                    height: o.height + 1,
                };
                if let Some(a) = o.anchor {
                    // Unless the anchor was redefined inside its own node.
                    if matches!(anchors.get(&a), Some(Anchor::Open(id)) if *id == o.id) {
                        anchors.insert(a, Anchor::Done(s));
                    }
                }
                if let Some(parent) = open.last_mut() {
                    parent.height = parent.height.max(s.height);
                }
                continue;
            }
        };
        if open.len() + height > limits.max_depth {
            return Err(YamlError::TooDeep {
                line,
                limit: limits.max_depth,
            });
        }
        if let Some(parent) = open.last_mut() {
            parent.height = parent.height.max(height);
        }
        nodes = nodes.saturating_add(add.nodes);
        text_bytes = text_bytes.saturating_add(add.text);
        check_totals(nodes, text_bytes, aliased, line, limits)?;
    }
    Ok(())
}

fn check_totals(
    nodes: u64,
    text: u64,
    aliased: bool,
    line: u64,
    limits: &Limits,
) -> Result<(), YamlError> {
    if nodes > limits.max_nodes {
        return Err(YamlError::TooManyNodes {
            line,
            limit: limits.max_nodes,
            aliased,
        });
    }
    // Without aliases a document's scalars are never longer than its text.
    if text > limits.max_bytes {
        return Err(YamlError::TooMuchText {
            line,
            limit: limits.max_bytes,
        });
    }
    Ok(())
}

/// serde_norway's `from_str`, guarded by the process's [`limits`].
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    guard(text, &limits())?;
    #[allow(clippy::disallowed_methods)]
    Ok(serde_norway::from_str(text)?)
}

/// The first document of `text` (yaml.v3 ignores the rest), as a value;
/// null for an empty text. Guarded by the process's [`limits`].
pub fn first_document(text: &str) -> Result<serde_norway::Value, YamlError> {
    use serde::Deserialize;
    guard(text, &limits())?;
    #[allow(clippy::disallowed_methods)]
    let mut docs = serde_norway::Deserializer::from_str(text);
    let Some(doc) = docs.next() else {
        return Ok(serde_norway::Value::Null);
    };
    Ok(serde_norway::Value::deserialize(doc)?)
}

/// Read a YAML file as text, refusing one over the input limit without
/// reading more of it than the limit.
pub fn read_file(path: &std::path::Path) -> Result<String, YamlError> {
    use std::io::Read;
    let limit = limits().max_bytes;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_string(&mut text)?;
    let size = text.len() as u64;
    if size > limit {
        let size = std::fs::metadata(path).map_or(size, |m| m.len());
        return Err(YamlError::TooLarge { size, limit });
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
