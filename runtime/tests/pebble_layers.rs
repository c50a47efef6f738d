//! The layer conformance suite: each case adds layers to an empty Pebble
//! the way `POST /v1/layers` does, then expects either the combined plan
//! exactly as `GET /v1/plan?format=yaml` renders it, or the exact error of
//! the last layer. Cases live in `tests/pebble/layers/*.yaml`.

use std::path::Path;

use charmbox::pebble::accounts::Accounts;
use charmbox::pebble::plan::PlanManager;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    layers: Vec<LayerIn>,
    #[serde(default)]
    plan: Option<String>,
    #[serde(default)]
    error: Option<String>,
    /// Orders the layers should end up with, in plan order.
    #[serde(default)]
    orders: Option<Vec<(String, i64)>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerIn {
    label: String,
    #[serde(default)]
    combine: bool,
    #[serde(default)]
    inner: bool,
    yaml: String,
}

fn run_case(case: &Case) -> Result<(), String> {
    let accounts = Accounts::default();
    let mut pm = PlanManager::default();
    let last = case.layers.len() - 1;
    for (i, l) in case.layers.iter().enumerate() {
        let result = pm.add_layer(&l.label, &l.yaml, l.combine, l.inner, &accounts);
        match (result, i == last, &case.error) {
            (Ok(()), _, _) if i < last => {}
            (Err(e), false, _) => return Err(format!("layer {i} ({}) failed: {e}", l.label)),
            (Ok(()), true, Some(want)) => {
                return Err(format!(
                    "expected error {want:?}, got plan:\n{}",
                    pm.plan_yaml()
                ));
            }
            (Ok(()), true, None) => {}
            (Err(e), true, Some(want)) => {
                if &e.to_string() != want {
                    return Err(format!(
                        "error mismatch\n want: {want:?}\n  got: {:?}",
                        e.to_string()
                    ));
                }
                return Ok(());
            }
            (Err(e), true, None) => return Err(format!("unexpected error: {e}")),
            (Ok(()), false, _) => unreachable!(),
        }
    }
    if let Some(want) = &case.plan {
        let got = pm.plan_yaml();
        if &got != want {
            return Err(format!("plan mismatch\n--- want\n{want}--- got\n{got}---"));
        }
    }
    if let Some(orders) = &case.orders {
        let got: Vec<(String, i64)> = pm
            .layers()
            .iter()
            .map(|l| (l.label.clone(), l.order))
            .collect();
        if &got != orders {
            return Err(format!("orders: want {orders:?}, got {got:?}"));
        }
    }
    Ok(())
}

#[test]
fn layer_conformance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pebble/layers");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("case directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let cases: Vec<Case> =
            charmbox::yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in &cases {
            total += 1;
            assert!(
                case.plan.is_some() || case.error.is_some() || case.orders.is_some(),
                "{}: case {:?} expects nothing",
                file.display(),
                case.name
            );
            if let Err(m) = run_case(case) {
                failures.push(format!(
                    "{} / {}: {m}",
                    file.file_name().unwrap().to_string_lossy(),
                    case.name
                ));
            }
        }
    }
    assert!(total >= 60, "only {total} conformance cases");
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{total} layer conformance cases passed");
}
