//! `charmbox new` in each language and for each kind: the charm builds,
//! and its own scenario passes in the simulator (its Python unit test runs
//! under charmbox.testing in scripts/test-python.sh).

use crate::common;

use charmbox::build::{BuildOptions, build_charm};
use charmbox::scaffold::{Kind, Lang, default_sdk, new_charm};
use charmbox::sim::Simulator;
use charmbox::sim::scenario::{self, Scenario};
use common::*;

fn made(lang: Lang, kind: Kind) -> std::path::PathBuf {
    let name = format!("new-{lang:?}-{kind:?}").to_lowercase();
    let dir = root().join("target").join("tmp").join(&name);
    let _ = std::fs::remove_dir_all(&dir);
    new_charm(&dir, &name, lang, kind, &default_sdk()).unwrap();
    dir
}

fn builds_and_passes_its_scenario(lang: Lang, kind: Kind) {
    let dir = made(lang, kind);
    let opts = BuildOptions {
        release: true,
        quiet: true,
        ..Default::default()
    };
    build_charm(&dir, &opts).unwrap_or_else(|e| panic!("{lang:?} {kind:?}: {e}"));
    let sc = Scenario::load(&dir.join("scenario.yaml")).unwrap();
    let mut s = Simulator::in_memory(runtime(), sc.options().unwrap());
    let mut out = Vec::new();
    scenario::run(&mut s, &sc, &dir, &mut out)
        .unwrap_or_else(|e| panic!("{lang:?} {kind:?}: {e}\n{}", String::from_utf8_lossy(&out)));
}

#[test]
fn rust_k8s() {
    builds_and_passes_its_scenario(Lang::Rust, Kind::K8s);
}

#[test]
fn python_machine() {
    builds_and_passes_its_scenario(Lang::Python, Kind::Machine);
}

#[test]
fn js_k8s() {
    builds_and_passes_its_scenario(Lang::Js, Kind::K8s);
}

#[test]
fn c_k8s_and_machine() {
    builds_and_passes_its_scenario(Lang::C, Kind::K8s);
    builds_and_passes_its_scenario(Lang::C, Kind::Machine);
}
