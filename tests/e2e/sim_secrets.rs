//! The simulator's secrets from the operator's side (`charmbox model
//! secret add|set|grant|revoke|rotate|expire|remove`, the scenario steps
//! and the Rust API): Juju's rules as clear errors, and what the units see.

use charmbox::sim::Simulator;
use charmbox::sim::ops::DeployOptions;

use super::{PEER, built, model_cli, sim, tmp};

#[test]
fn cli_model_secret_verbs() {
    let db = tmp("secrets.db");
    let charm = built(PEER);
    let run = |args: &[&str]| model_cli(&db, args);
    assert!(run(&["new", "--seed", "1"]).0);
    assert!(run(&["deploy", charm.to_str().unwrap(), "-n", "2"]).0);
    let (ok, id, err) = run(&[
        "secret",
        "add",
        "db-password",
        "password=one",
        "--grant",
        "peer-counter",
        "--settle",
    ]);
    assert!(ok, "{err}");
    let id = id.lines().next().unwrap().to_string();
    assert!(id.starts_with("secret:") && id.len() == 27, "{id}");
    // Each revision is committed to the file: the next command sees it.
    for rev in [2, 3] {
        let (ok, out, err) = run(&["secret", "set", &id, "password=again"]);
        assert!(ok, "{err}");
        assert_eq!(out.trim(), format!("{id}: revision {rev}"));
    }
    // Juju's rules and the model's facts, as clear errors.
    let (ok, _, err) = run(&["secret", "add", "other", "pw=x"]);
    assert!(!ok && err.contains("secret key \"pw\" not valid"), "{err}");
    let (ok, _, err) = run(&["secret", "add", "other", "password"]);
    assert!(!ok && err.contains("expected key=value"), "{err}");
    let (ok, _, err) = run(&["secret", "add", "db-password", "password=x"]);
    assert!(!ok && err.contains("already exists"), "{err}");
    // The name serves as well as the id.
    let (ok, out, err) = run(&["secret", "set", "db-password", "password=named"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "db-password: revision 4");
    let (ok, _, err) = run(&["secret", "add", "other", "password=x", "--grant", "nope"]);
    assert!(
        !ok && err.contains("application \"nope\" not found"),
        "{err}"
    );
    let (ok, _, err) = run(&["secret", "rotate", &id]);
    assert!(!ok && err.contains("has no owner unit to tell"), "{err}");
    let (ok, out, err) = run(&["secret", "revoke", "db-password", "peer-counter"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "db-password: revoked from peer-counter");
    let (ok, out, err) = run(&["secret", "grant", &id, "peer-counter"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("{id}: granted to peer-counter"));
    let (ok, _, err) = run(&["secret", "grant", &id, "nope"]);
    assert!(
        !ok && err.contains("application \"nope\" not found"),
        "{err}"
    );
    // A user secret is removed, and is gone for the next command.
    let (ok, out, err) = run(&["secret", "remove", &id]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("{id}: removed"));
    let (ok, _, err) = run(&["secret", "set", &id, "password=late"]);
    assert!(!ok && err.contains("not found"), "{err}");
}

#[test]
fn scenario_secret_steps_refer_to_a_secret_by_its_name() {
    let charm = built(PEER);
    let file = tmp("secrets.yaml");
    std::fs::write(
        &file,
        format!(
            "model: {{type: kubernetes, seed: 2}}\nsteps:\n  \
             - deploy: {{charm: {}, units: 1}}\n  \
             - secret-add: {{secret: api-token, content: {{token: abc}}, grant: [peer-counter]}}\n  \
             - secret-set: {{secret: api-token, content: {{token: def}}}}\n  \
             - secret-revoke: {{secret: api-token, apps: [peer-counter]}}\n  \
             - secret-grant: {{secret: api-token, apps: [peer-counter]}}\n  \
             - secret-remove: {{secret: api-token}}\n  \
             - settle:\n",
            charm.display()
        ),
    )
    .unwrap();
    let text = super::sim_file(&file);
    assert!(text.contains("secret-set api-token (revision 2)"), "{text}");
    assert!(text.contains("secret-remove api-token"), "{text}");
    assert!(
        text.contains("secret-revoke api-token peer-counter"),
        "{text}"
    );
}

/// `juju grant-secret` and `juju revoke-secret` (user secrets, Juju 3.3+):
/// access changes what the units see from their next hook; no hook runs.
/// A charm's own secret is the charm's to grant.
#[test]
fn user_secrets_are_granted_and_revoked_without_hooks() {
    use charmbox::sim::hook::Hook;
    use charmbox::sim::names::UnitName;
    use charmbox::sim::project::project;
    let mut s = sim(4);
    s.deploy(
        &built(PEER),
        DeployOptions {
            units: Some(2),
            ..Default::default()
        },
    )
    .unwrap();
    s.settle().unwrap();
    let content = [("token".to_string(), "abc".to_string())]
        .into_iter()
        .collect();
    let id = s.secret_add_named(Some("token"), content, &[]).unwrap();
    let me: UnitName = "peer-counter/1".parse().unwrap();
    let sees = |s: &Simulator| {
        let st = project(s.model(), &me, &Hook::UpdateStatus, 0).unwrap();
        st.secrets.iter().any(|x| x.id == id)
    };
    assert!(!sees(&s));
    let hooks = s.events().unwrap().len();
    s.secret_grant("token", &["peer-counter".into()]).unwrap();
    assert!(sees(&s));
    s.secret_revoke("token", &["peer-counter".into()]).unwrap();
    assert!(!sees(&s));
    s.secret_revoke("token", &["peer-counter".into()]).unwrap();
    s.settle().unwrap();
    assert_eq!(s.events().unwrap().len(), hooks, "no hook runs");
    let e = s.secret_grant("token", &[]).unwrap_err().to_string();
    assert!(e.contains("name at least one application"), "{e}");
    let e = s
        .secret_grant("nope", &["peer-counter".into()])
        .unwrap_err()
        .to_string();
    assert!(e.contains("not found"), "{e}");
}
