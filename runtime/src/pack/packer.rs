//! Packing itself: build, precompile, lay out, zip (a build with the
//! compiler only).

use std::path::Path;

use super::info::{PACK_FORMAT, PACK_INFO, PACKED_CWASM, PackInfo, PackLimits, TraceSettings};
use super::{Base, PackError, PackOptions, PackReport, Platforms, find_host, zip_out};
use crate::build::build_charm;
use crate::engine::{Runtime, content_hash, triple_for};

/// Check the packed host is this charmbox's and has no compiler: it
/// answers `--charmbox-host-info` with its version and features.
fn check_host(host: &Path) -> Result<(), PackError> {
    let bad = |message: String| PackError::BadHost {
        path: host.display().to_string(),
        message,
    };
    let out = std::process::Command::new(host)
        .arg("--charmbox-host-info")
        .env_clear()
        .output()
        .map_err(|e| bad(format!("cannot run it: {e}")))?;
    let info: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| bad("it does not answer --charmbox-host-info".into()))?;
    let version = info["charmbox"].as_str().unwrap_or_default();
    if version != env!("CARGO_PKG_VERSION") {
        return Err(bad(format!(
            "it is charmbox {version:?}, this is {}",
            env!("CARGO_PKG_VERSION")
        )));
    }
    if info["compiler"] != serde_json::Value::Bool(false) {
        return Err(bad("it was built with the compiler".into()));
    }
    Ok(())
}

/// Keys of charmcraft.yaml that say how to build, not what the charm is:
/// not in metadata.yaml.
const BUILD_ONLY: &[&str] = &[
    "type",
    "base",
    "bases",
    "build-base",
    "platforms",
    "parts",
    "charmhub",
    "charm-libs",
    "charmbox",
];

/// Pack the charm directory `dir`.
pub fn pack(dir: &Path, opts: &PackOptions) -> Result<PackReport, PackError> {
    let yaml_path = dir.join("charmcraft.yaml");
    let shown = yaml_path.display().to_string();
    let bad = |message: String| PackError::Charmcraft {
        path: shown.clone(),
        message,
    };
    let text = crate::yaml::read_file(&yaml_path).map_err(|e| bad(e.to_string()))?;
    let all: serde_json::Value = crate::yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let all = all.as_object().ok_or_else(|| bad("not a map".into()))?;
    let meta = crate::charm::CharmMeta::parse(&text, &shown)?;
    let platforms = Platforms::read(all, &opts.platforms).map_err(bad)?;
    let granted_commands = grants(
        &meta.machine_commands,
        &opts.grant_commands,
        "command",
        "commands",
    )?;
    let granted_dirs = grants(&meta.machine_dirs, &opts.grant_dirs, "dir", "files")?;
    let triple = triple_for(&platforms.arch)?;
    let (limits, traces) = settings(all).map_err(bad)?;
    let host = match &opts.host {
        Some(h) => h.clone(),
        None => find_host()?,
    };
    check_host(&host)?;

    let built = build_charm(dir, &opts.build)?;
    let write_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| PackError::Write { path, source }
    };
    let wasm = std::fs::read(&built.component).map_err(write_err(&built.component))?;
    let rt =
        Runtime::new(limits.runtime_config()).map_err(|e| PackError::Runtime(format!("{e:#}")))?;
    let cwasm = rt.precompile_for(&wasm, triple)?;
    let info = PackInfo {
        format: PACK_FORMAT.into(),
        charmbox: env!("CARGO_PKG_VERSION").into(),
        charm: meta.name.clone(),
        component_sha256: content_hash(&wasm),
        platform: platforms.arch.clone(),
        triple: triple.into(),
        limits,
        traces,
        granted_commands,
        granted_dirs,
        granted_loopback_ports: {
            let mut ports = opts.grant_loopback_ports.clone();
            ports.sort_unstable();
            ports.dedup();
            ports
        },
    };
    let mut files: Vec<(String, Vec<u8>, u32)> = Vec::new();
    let mut text_file =
        |name: &str, text: String| files.push((name.into(), text.into_bytes(), 0o644));
    let mut metadata = all.clone();
    for k in BUILD_ONLY {
        metadata.remove(*k);
    }
    for (file, text) in crate::native::packed::split_metadata(&metadata) {
        text_file(file, text);
    }
    text_file("manifest.yaml", platforms.manifest_yaml());
    text_file("charmcraft.yaml", text.clone());
    text_file(
        PACK_INFO,
        serde_json::to_string_pretty(&info).unwrap_or_default() + "\n",
    );
    let host_bytes = std::fs::read(&host).map_err(write_err(&host))?;
    let report_sizes = (
        host_bytes.len() as u64,
        wasm.len() as u64,
        cwasm.len() as u64,
    );
    files.push(("dispatch".into(), host_bytes, 0o755));
    files.push((format!("{}.wasm", meta.name), wasm, 0o644));
    files.push((PACKED_CWASM.into(), cwasm, 0o644));
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| dir.join(format!("{}_{}.charm", meta.name, platforms.arch)));
    zip_out::write_zip(&out, files).map_err(write_err(&out))?;
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    Ok(PackReport {
        charm: out,
        bytes,
        host_bytes: report_sizes.0,
        component_bytes: report_sizes.1,
        precompiled_bytes: report_sizes.2,
        platform: platforms.arch.clone(),
        bases: platforms.bases.iter().map(Base::to_string).collect(),
    })
}

/// What `grant` lets the packed charm reach on its machine: each a program
/// or directory the charm declares (`charmbox: machine-<section>:`).
fn grants(
    declared: &std::collections::BTreeSet<String>,
    grant: &[String],
    flag: &str,
    section: &str,
) -> Result<Vec<String>, PackError> {
    let mut out: Vec<String> = Vec::new();
    for name in grant {
        if !declared.contains(name) {
            let listed = if declared.is_empty() {
                "nothing".to_string()
            } else {
                declared.iter().cloned().collect::<Vec<_>>().join(", ")
            };
            return Err(PackError::Grant(format!(
                "--grant-{flag} {name}: the charm does not declare {name:?} under \
                 `charmbox: machine-{section}:` in charmcraft.yaml (it declares: {listed})"
            )));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    out.sort();
    Ok(out)
}

/// The sandbox's limits and the trace settings from charmcraft.yaml's
/// `charmbox:` section (all optional):
///
/// ```yaml
/// charmbox:
///   limits: {fuel: 2000000000, memory-mib: 256, deadline-secs: 300}
///   traces: {enabled: true, dir: .charmbox/traces, max-files: 200, max-bytes: 67108864}
/// ```
fn settings(
    all: &serde_json::Map<String, serde_json::Value>,
) -> Result<(PackLimits, TraceSettings), String> {
    #[derive(serde::Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Section {
        #[serde(default)]
        limits: Option<serde_json::Value>,
        #[serde(default)]
        traces: Option<serde_json::Value>,
        // Checked where the charm's metadata is read (CharmMeta).
        #[serde(default, rename = "machine-commands")]
        _machine_commands: Option<serde_json::Value>,
        #[serde(default, rename = "machine-files")]
        _machine_files: Option<serde_json::Value>,
        #[serde(default, rename = "kubernetes")]
        _kubernetes: Option<serde_json::Value>,
    }
    let Some(section) = all.get("charmbox") else {
        return Ok(Default::default());
    };
    let section: Section =
        serde_json::from_value(section.clone()).map_err(|e| format!("charmbox: {e}"))?;
    let merge = |given: Option<serde_json::Value>, defaults: serde_json::Value, what: &str| {
        let mut out = defaults;
        if let (Some(serde_json::Value::Object(g)), Some(o)) = (given.clone(), out.as_object_mut())
        {
            for (k, v) in g {
                if !o.contains_key(&k) {
                    return Err(format!("charmbox.{what}: unknown key {k:?}"));
                }
                o.insert(k, v);
            }
        } else if given.is_some() {
            return Err(format!("charmbox.{what}: not a map"));
        }
        Ok(out)
    };
    let limits = merge(
        section.limits,
        serde_json::to_value(PackLimits::default()).unwrap_or_default(),
        "limits",
    )?;
    let traces = merge(
        section.traces,
        serde_json::to_value(TraceSettings::default()).unwrap_or_default(),
        "traces",
    )?;
    let limits: PackLimits =
        serde_json::from_value(limits).map_err(|e| format!("charmbox.limits: {e}"))?;
    let traces: TraceSettings =
        serde_json::from_value(traces).map_err(|e| format!("charmbox.traces: {e}"))?;
    if limits.memory_mib == 0 || limits.memory_mib > crate::engine::MAX_MEMORY_MIB {
        return Err(format!(
            "charmbox.limits.memory-mib: {} is not between 1 and {}",
            limits.memory_mib,
            crate::engine::MAX_MEMORY_MIB
        ));
    }
    Ok((limits, traces))
}
