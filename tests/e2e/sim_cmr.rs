//! Cross-model relations in the simulator (`charmbox model offer|consume|
//! remove-saas`, `integrate APP SAAS`, the scenario steps and the Rust
//! API): each side sees the other as Juju shows a remote application.

use charmbox::sim::Simulator;
use charmbox::sim::hook::Hook;
use charmbox::sim::names::UnitName;
use charmbox::sim::ops::DeployOptions;
use charmbox::sim::project::project;
use charmbox::state::State;

use super::sim_ops::PING;
use super::{built, sim, tmp};

fn seen(s: &Simulator, unit: &str) -> State {
    let u: UnitName = unit.parse().unwrap();
    project(s.model(), &u, &Hook::UpdateStatus, 0).unwrap()
}

/// Juju 3.x names the consumer in the offering model `remote-<token>`
/// (`crossmodelrelations` facade, from the consumer's application token);
/// the consumer knows the offer by its SAAS name; `relation-model-get`
/// gives each side the other model's UUID. The rally of ping-pong and the
/// secret its leader grants over the relation cross the models; removing
/// the SAAS tears the relation down on both sides.
#[test]
fn an_offer_consumed_and_integrated_is_seen_as_remote_on_both_sides() {
    let mut s = sim(12);
    let ping = built(PING);
    for (app, units) in [("a", 2), ("b", 1)] {
        let opts = DeployOptions {
            app: Some(app.into()),
            units: Some(units),
            ..Default::default()
        };
        s.deploy(&ping, opts).unwrap();
    }
    s.settle().unwrap();
    let err = |r: Result<String, charmbox::sim::SimError>| r.unwrap_err().to_string();
    assert!(err(s.offer("a:players", None)).contains("peer endpoint"));
    assert!(err(s.offer("a", None)).contains("name the endpoints"));
    assert!(err(s.offer("a:nope", None)).contains("has no endpoint"));
    assert_eq!(s.offer("a:ping", Some("ping-offer")).unwrap(), "ping-offer");
    assert!(err(s.offer("a:ping", Some("ping-offer"))).contains("already exists"));
    assert!(err(s.consume("nope", None)).contains("not found"));
    assert!(err(s.consume("ping-offer", Some("b"))).contains("already exists"));
    assert_eq!(s.consume("ping-offer", Some("pinger")).unwrap(), "pinger");
    let e = s.integrate("a:pong", "pinger").unwrap_err().to_string();
    assert!(e.contains("does not consume its own offer"), "{e}");
    let dir = tmp("cmr-traces");
    s.trace_to(&dir).unwrap();
    let id = s.integrate("b", "pinger").unwrap();
    s.settle().unwrap();
    s.close_traces().unwrap();

    let b = seen(&s, "b/0");
    let rb = b.relation(id).unwrap();
    assert_eq!(rb.remote_app.as_deref(), Some("pinger"));
    assert_eq!(
        rb.remote_units_data.keys().copied().collect::<Vec<_>>(),
        [0, 1]
    );
    let offerer_model = rb.remote_model_uuid.clone().expect("cross-model");
    assert_ne!(offerer_model, s.model().meta.uuid);
    assert!(rb.local_unit_data.contains_key("ball"), "the rally crossed");
    let a = seen(&s, "a/1");
    let ra = a.relation(id).unwrap();
    let remote = ra.remote_app.clone().unwrap();
    let token = remote.strip_prefix("remote-").expect("remote-<token>");
    assert!(
        token.len() == 32 && token.bytes().all(|c| c.is_ascii_hexdigit()),
        "{remote}"
    );
    let consumer_model = ra.remote_model_uuid.clone().unwrap();
    assert_ne!(consumer_model, offerer_model);
    let status = s.status();
    assert!(
        status.units.iter().all(|u| u.agent != "error"),
        "{}",
        s.status_table()
    );
    // What the charms were told: the renamed units and applications.
    let b_trace = std::fs::read_to_string(dir.join("b.trace.jsonl")).unwrap();
    assert!(
        b_trace.contains("pinger/0") && !b_trace.contains("\"a/0\""),
        "consumer trace"
    );
    let a_trace = std::fs::read_to_string(dir.join("a.trace.jsonl")).unwrap();
    assert!(a_trace.contains(&format!("{remote}/0")), "offerer trace");

    let n = s.events().unwrap().len();
    s.remove_saas("pinger").unwrap();
    s.settle().unwrap();
    let mut ran: Vec<String> = (s.events().unwrap()[n..].iter())
        .map(|e| format!("{} {}", e.unit, e.event))
        .collect();
    ran.sort();
    assert_eq!(
        ran,
        [
            "a/0 ping-relation-broken",
            "a/0 ping-relation-departed",
            "a/1 ping-relation-broken",
            "a/1 ping-relation-departed",
            "b/0 pong-relation-broken",
            "b/0 pong-relation-departed",
            "b/0 pong-relation-departed",
        ]
    );
    assert!(err(s.consume("ping-offer", Some("a"))).contains("already exists"));
}

/// The CLI verbs and the scenario steps.
#[test]
fn cli_and_scenario_offer_and_consume() {
    use super::sim_ops::{ok, refused};
    let db = tmp("cmr.db");
    let charm = built(PING);
    let charm = charm.to_str().unwrap();
    ok(&db, &["new", "--seed", "3"]);
    ok(&db, &["deploy", charm, "a"]);
    ok(&db, &["deploy", charm, "b"]);
    assert_eq!(ok(&db, &["offer", "a:ping"]).trim(), "offer a");
    assert_eq!(
        ok(&db, &["consume", "a", "far-a"]).trim(),
        "consumed a as far-a"
    );
    ok(&db, &["integrate", "b:pong", "far-a", "--settle"]);
    let err = refused(&db, &["consume", "a", "far-a"]);
    assert!(err.contains("already exists"), "{err}");
    ok(&db, &["remove-saas", "far-a", "--settle"]);
    let err = refused(&db, &["remove-saas", "far-a"]);
    assert!(err.contains("not found"), "{err}");

    let file = tmp("cmr.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {{type: kubernetes, seed: 4}}\nsteps:\n  \
             - deploy: {{charm: {charm}, app: a}}\n  \
             - deploy: {{charm: {charm}, app: b}}\n  \
             - offer: {{endpoints: \"a:ping\", name: pings}}\n  \
             - consume: {{offer: pings, alias: far}}\n  \
             - integrate: [b, far]\n  \
             - settle:\n  \
             - remove-saas: far\n  \
             - settle:\n"
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    assert!(
        text.contains("offer pings") && text.contains("consume pings as far"),
        "{text}"
    );
    assert!(text.contains("remove-saas far"), "{text}");
}
