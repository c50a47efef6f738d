//! tests/charms/pydantic-py: a charm whose config is a pydantic v2 model.
//! pydantic-core is Rust + PyO3: `charmbox build` builds it for WASI from
//! its sdist (runtime/src/build/python/native.rs) and componentize-py links
//! it; validation, errors, JSON and JSON schema then run in the sandbox. So
//! does jsonschema over rpds-py (Rust + PyO3, built the same way), and
//! jinja2 and charset-normalizer over their pure-Python fallbacks.

use crate::common;

use charmbox::engine::Outcome;
use charmbox::event::EventSpec;
use common::*;
use serde_json::{Value, json};

const CHARM: &str = "tests/charms/pydantic-py";

#[test]
fn a_valid_config_is_the_models_json() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let (out, report) = run(&rt, &charm, state(json!({})), "config-changed");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(out.unit_status.status, "active");
    assert_eq!(
        out.unit_status.message,
        r#"{"hostname":"db.internal","port":5432,"replicas":3}"#
    );
}

#[test]
fn an_invalid_config_is_blocked_with_pydantics_errors() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let s = state(json!({"config": {"port": 70000, "replicas": 4, "hostname": "Bad_Host"}}));
    let (out, report) = run(&rt, &charm, s, "config-changed");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    assert_eq!(out.unit_status.status, "blocked");
    assert_eq!(
        out.unit_status.message,
        "hostname: String should match pattern '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$'; \
         port: Input should be less than or equal to 65535; \
         replicas: Value error, must be odd for a quorum"
    );
}

#[test]
fn the_json_schema_comes_from_pydantic_core() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let spec = EventSpec {
        name: "schema".into(),
        action: true,
        ..Default::default()
    };
    let (_, report) =
        charmbox::run::run_event(&rt, &charm, state(json!({})), &spec, None).expect("action runs");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    let results = &report.action.as_ref().expect("an action report").results;
    let schema: Value = serde_json::from_str(results["schema"].as_str().unwrap()).unwrap();
    assert_eq!(schema["title"], "WorkloadConfig");
    assert_eq!(schema["properties"]["port"]["maximum"], 65535);
    assert_eq!(schema["required"], json!(["hostname", "port", "replicas"]));
}

#[test]
fn jsonschema_charset_normalizer_jinja2_and_lzma_run_in_the_sandbox() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let spec = EventSpec {
        name: "render".into(),
        action: true,
        params: [(
            "document".to_string(),
            json!(r#"{"port": 0, "hostname": "héllo"}"#),
        )]
        .into(),
        ..Default::default()
    };
    let (_, report) =
        charmbox::run::run_event(&rt, &charm, state(json!({})), &spec, None).expect("action runs");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    let results = &report.action.as_ref().expect("an action report").results;
    assert_eq!(
        results["report"],
        "invalid (utf_8); &#39;héllo&#39; does not match &#39;^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$&#39;; \
         &#39;replicas&#39; is a required property; 0 is less than the minimum of 1 &lt;ok&gt;"
    );
    // An .xz stream (magic FD 37 7A 58 5A 00), from the sandbox's lzma
    // without liblzma; python/tests/test_nolzma.py has liblzma read them.
    let packed = results["packed"].as_str().unwrap();
    assert!(packed.starts_with("/Td6WFoAAA"), "{packed}");
}

/// bcrypt and jiter, Rust + PyO3 laid out unlike pydantic-core (a crate
/// in a subdirectory named by setuptools-rust; a workspace member named
/// by maturin), built for WASI and run.
#[test]
fn bcrypt_and_jiter_are_built_for_wasi_and_run() {
    let rt = runtime();
    let charm = charm(&rt, CHARM);
    let spec = EventSpec {
        name: "hash".into(),
        action: true,
        params: [("password".to_string(), json!("hunter2"))].into(),
        ..Default::default()
    };
    let (_, report) =
        charmbox::run::run_event(&rt, &charm, state(json!({})), &spec, None).expect("action runs");
    assert_eq!(report.outcome, Outcome::Ok, "{:?}", report.logs);
    let results = &report.action.as_ref().expect("an action report").results;
    assert_eq!(results["prefix"], "$2b$04$");
    assert_eq!(results["checks"], "True");
    assert_eq!(results["wrong"], "False");
    assert_eq!(results["parsed"], r#"{"n": [1, 2.5, "x"], "ok": true}"#);
}

/// What the component links is the WASI build: a wasm shared library
/// (`dylink.0`), kept per version in the build cache; no host `.so`.
#[test]
fn the_extension_is_a_wasm_shared_library() {
    built(CHARM);
    let native = root().join("target/python/native");
    let dir = std::fs::read_dir(&native)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pydantic-core-2.50.5-"))
        })
        .expect("a cached pydantic-core build");
    assert!(
        std::fs::read_dir(&native)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("rpds-py-")),
        "no cached rpds-py build"
    );
    let bytes = std::fs::read(dir.join("extension.so")).unwrap();
    assert_eq!(&bytes[..4], b"\0asm");
    assert!(
        bytes.windows(8).take(64).any(|w| w == b"dylink.0"),
        "no dylink.0 section first"
    );
    let site = root().join("target/python/site");
    let mut host_so = Vec::new();
    for entry in std::fs::read_dir(&site).unwrap().flatten() {
        let dirs = ["pydantic_core", "rpds", "markupsafe", "charset_normalizer"];
        for f in dirs.iter().flat_map(|d| {
            std::fs::read_dir(entry.path().join(d))
                .into_iter()
                .flatten()
                .flatten()
        }) {
            let name = f.file_name().to_string_lossy().into_owned();
            if name.ends_with(".so") && !name.ends_with("-wasm32-wasi.so") {
                host_so.push(f.path());
            }
        }
    }
    assert!(host_so.is_empty(), "host extensions left: {host_so:?}");
}
