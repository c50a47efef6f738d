//! The platforms a charm is packed for, from charmcraft.yaml (`base` +
//! `platforms`, charmcraft 3; `bases`, charmcraft 2) or `--platform`, and
//! the manifest.yaml charmcraft writes from them.

use std::fmt;

use serde_json::{Map, Value};

/// An OS base: `ubuntu@22.04`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Base {
    pub name: String,
    pub channel: String,
}

impl fmt::Display for Base {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.channel)
    }
}

/// What one pack builds: one architecture, for every base declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Platforms {
    pub arch: String,
    pub bases: Vec<Base>,
}

/// The most platforms read (charmcraft.yaml is hostile until checked).
const MAX_PLATFORMS: usize = 64;

fn parse_base(text: &str) -> Result<Base, String> {
    match text.split_once('@') {
        Some((name, channel)) if !name.is_empty() && !channel.is_empty() => Ok(Base {
            name: name.into(),
            channel: channel.into(),
        }),
        _ => Err(format!(
            "base {text:?} is not <name>@<channel> (ubuntu@22.04)"
        )),
    }
}

/// `[base:]arch` of a platform name or a `build-for` entry.
fn parse_target(text: &str, default_base: Option<&Base>) -> Result<(Option<Base>, String), String> {
    match text.rsplit_once(':') {
        Some((base, arch)) => Ok((Some(parse_base(base)?), arch.to_string())),
        None => Ok((default_base.cloned(), text.to_string())),
    }
}

impl Platforms {
    /// The platforms of charmcraft.yaml (`all`), or those `asked` for.
    /// Every platform must be of one architecture (one host binary).
    pub fn read(all: &Map<String, Value>, asked: &[String]) -> Result<Platforms, String> {
        let base = match all.get("base").and_then(Value::as_str) {
            Some(b) => Some(parse_base(b)?),
            None => None,
        };
        let mut targets: Vec<(Option<Base>, String)> = Vec::new();
        if !asked.is_empty() {
            for a in asked {
                targets.push(parse_target(a, base.as_ref())?);
            }
        } else if let Some(platforms) = all.get("platforms").and_then(Value::as_object) {
            for (name, p) in platforms.iter().take(MAX_PLATFORMS) {
                let build_for = p.get("build-for").and_then(Value::as_array);
                match build_for {
                    Some(list) => {
                        for t in list.iter().take(MAX_PLATFORMS) {
                            let t = t
                                .as_str()
                                .ok_or("platforms: build-for entries are strings")?;
                            targets.push(parse_target(t, base.as_ref())?);
                        }
                    }
                    None => targets.push(parse_target(name, base.as_ref())?),
                }
            }
        } else if let Some(bases) = all.get("bases").and_then(Value::as_array) {
            for b in bases.iter().take(MAX_PLATFORMS) {
                let run_on = b.get("run-on").and_then(Value::as_array);
                let list: Vec<&Value> = match run_on {
                    Some(r) => r.iter().take(MAX_PLATFORMS).collect(),
                    None => vec![b],
                };
                for r in list {
                    let name = r.get("name").and_then(Value::as_str).unwrap_or("ubuntu");
                    let channel = r
                        .get("channel")
                        .and_then(Value::as_str)
                        .ok_or("bases: an entry has no channel")?;
                    let archs: Vec<String> = match r.get("architectures").and_then(Value::as_array)
                    {
                        Some(a) => a
                            .iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect(),
                        None => vec![crate::engine::host_triple().0.to_string()],
                    };
                    for arch in archs {
                        let b = Base {
                            name: name.into(),
                            channel: channel.into(),
                        };
                        targets.push((Some(b), arch));
                    }
                }
            }
        }
        if targets.is_empty() {
            targets.push((base.clone(), crate::engine::host_triple().0.to_string()));
        }
        let arch = targets[0].1.clone();
        if let Some((_, other)) = targets.iter().find(|(_, a)| *a != arch) {
            return Err(format!(
                "platforms of two architectures ({arch}, {other}): pack one at a time with --platform"
            ));
        }
        let mut bases: Vec<Base> = targets.into_iter().filter_map(|(b, _)| b).collect();
        bases.sort();
        bases.dedup();
        Ok(Platforms { arch, bases })
    }

    /// charmcraft's manifest.yaml: the analysis, the packer, and the bases
    /// Juju checks a machine against.
    pub fn manifest_yaml(&self) -> String {
        let mut out = String::from(
            "analysis:\n  attributes:\n  - name: language\n    result: unknown\n  - name: framework\n    result: unknown\n",
        );
        out += "charmcraft-started-at: '1980-01-01T00:00:00.000000Z'\n";
        out += &format!(
            "charmcraft-version: charmbox-{}\n",
            env!("CARGO_PKG_VERSION")
        );
        if !self.bases.is_empty() {
            out += "bases:\n";
            for b in &self.bases {
                out += &format!(
                    "- name: {}\n  channel: '{}'\n  architectures:\n  - {}\n",
                    b.name, b.channel, self.arch
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str, asked: &[&str]) -> Result<Platforms, String> {
        let v: Value = crate::yaml::from_str(yaml).unwrap();
        let asked: Vec<String> = asked.iter().map(|s| s.to_string()).collect();
        Platforms::read(v.as_object().unwrap(), &asked)
    }

    #[test]
    fn charmcraft_forms_read_to_one_arch_and_its_bases() {
        let p = read("base: ubuntu@22.04\nplatforms:\n  amd64:\n", &[]).unwrap();
        assert_eq!(
            (p.arch.as_str(), p.bases[0].to_string()),
            ("amd64", "ubuntu@22.04".into())
        );
        let p = read(
            "platforms:\n  ubuntu@24.04:amd64:\n  ubuntu@22.04:amd64:\n",
            &[],
        )
        .unwrap();
        assert_eq!(p.bases.len(), 2);
        let p = read(
            "platforms:\n  x:\n    build-on: [ubuntu@22.04:amd64]\n    build-for: [ubuntu@22.04:arm64]\n",
            &[],
        )
        .unwrap();
        assert_eq!(p.arch, "arm64");
        let p = read(
            "bases:\n- build-on: [{name: ubuntu, channel: '22.04'}]\n  run-on: [{name: ubuntu, channel: '22.04', architectures: [amd64]}]\n",
            &[],
        )
        .unwrap();
        assert_eq!(p.bases[0].to_string(), "ubuntu@22.04");
        assert!(
            p.manifest_yaml()
                .contains("channel: '22.04'\n  architectures:\n  - amd64\n")
        );
        let p = read("base: ubuntu@24.04\n", &["arm64"]).unwrap();
        assert_eq!(p.arch, "arm64");
        let e = read(
            "platforms:\n  ubuntu@22.04:amd64:\n  ubuntu@22.04:arm64:\n",
            &[],
        )
        .unwrap_err();
        assert!(e.contains("two architectures"), "{e}");
        assert!(
            read("base: nope\n", &[])
                .unwrap_err()
                .contains("not <name>@<channel>")
        );
    }
}
