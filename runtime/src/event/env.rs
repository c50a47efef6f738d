//! The environment Juju builds from scratch for a dispatch (reference §4).

use crate::bindings::event::JujuContext;

/// The dispatch environment, sorted by name, for the event `ctx` with the
/// State's `seed`, on a Kubernetes model or not, with the hook's `extra`
/// variables (pre-series-upgrade's target).
pub fn dispatch_env(
    ctx: &JujuContext,
    seed: u64,
    k8s: bool,
    extra: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: &str| env.push((k.to_string(), v.to_string()));
    let app_unit = ctx.unit_name.replace('/', "-");
    set("CHARM_DIR", &ctx.charm_dir);
    set("JUJU_CHARM_DIR", &ctx.charm_dir);
    set("JUJU_CONTEXT_ID", &context_id(ctx, seed));
    set("JUJU_HOOK_NAME", &ctx.hook_name);
    set("JUJU_DISPATCH_PATH", &ctx.dispatch_path);
    set("JUJU_UNIT_NAME", &ctx.unit_name);
    set("JUJU_MODEL_NAME", &ctx.model_name);
    set("JUJU_MODEL_UUID", &ctx.model_uuid);
    set("JUJU_VERSION", &ctx.juju_version);
    set(
        "JUJU_AGENT_SOCKET_ADDRESS",
        &format!("@/var/lib/juju/agents/unit-{app_unit}/agent.socket"),
    );
    set("JUJU_AGENT_SOCKET_NETWORK", "unix");
    set("JUJU_API_ADDRESSES", "10.0.0.1:17070");
    set("JUJU_SLA", "unsupported");
    set("JUJU_AVAILABILITY_ZONE", "");
    set("JUJU_PRINCIPAL_UNIT", "");
    set("JUJU_MACHINE_ID", if k8s { "" } else { "0" });
    for p in ["HTTP", "HTTPS", "FTP", "NO"] {
        set(&format!("JUJU_CHARM_{p}_PROXY"), "");
    }
    set("APT_LISTCHANGES_FRONTEND", "none");
    set("DEBIAN_FRONTEND", "noninteractive");
    set("LANG", "C.UTF-8");
    set("TERM", "tmux-256color");
    set(
        "PATH",
        &format!("/var/lib/juju/tools/unit-{app_unit}:/usr/bin:/bin"),
    );
    if let Some(r) = &ctx.relation {
        set("JUJU_RELATION", &r.endpoint);
        set("JUJU_RELATION_ID", &format!("{}:{}", r.endpoint, r.id));
        set("JUJU_REMOTE_UNIT", &r.remote_unit);
        set("JUJU_REMOTE_APP", &r.remote_app);
        if let Some(d) = &r.departing_unit {
            set("JUJU_DEPARTING_UNIT", d);
        }
    }
    if let Some(w) = &ctx.workload {
        set("JUJU_WORKLOAD_NAME", &w.container);
        if let Some(n) = &w.notice {
            set("JUJU_NOTICE_ID", &n.id);
            set("JUJU_NOTICE_TYPE", &n.type_);
            set("JUJU_NOTICE_KEY", &n.key);
        }
        if let Some(c) = &w.check_name {
            set("JUJU_PEBBLE_CHECK_NAME", c);
        }
    }
    if let Some(s) = &ctx.secret {
        set("JUJU_SECRET_ID", &s.id);
        set("JUJU_SECRET_LABEL", s.label.as_deref().unwrap_or(""));
        if let Some(r) = s.revision {
            set("JUJU_SECRET_REVISION", &r.to_string());
        }
    }
    if let Some(s) = &ctx.storage {
        set("JUJU_STORAGE_ID", &s.id);
        set("JUJU_STORAGE_LOCATION", &s.location);
        set("JUJU_STORAGE_KIND", &s.kind);
    }
    if let Some(a) = &ctx.action {
        set("JUJU_ACTION_NAME", &a.name);
        set("JUJU_ACTION_UUID", &a.id);
        set("JUJU_ACTION_TAG", &format!("action-{}", a.id));
    }
    env.extend(extra);
    // Every name is set once, so ordering by name alone is the full order.
    env.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    debug_assert!(env.windows(2).all(|w| w[0].0 != w[1].0), "a name set twice");
    env
}

/// `<unit>-<hook>-<32 hex>`, derived from the seed so runs are repeatable.
fn context_id(ctx: &JujuContext, seed: u64) -> String {
    use sha2::{Digest, Sha256};
    let hook = if ctx.hook_name.is_empty() {
        ctx.action.as_ref().map(|a| a.name.as_str()).unwrap_or("")
    } else {
        &ctx.hook_name
    };
    let digest = Sha256::new()
        .chain_update(ctx.unit_name.as_bytes())
        .chain_update(b"|")
        .chain_update(ctx.dispatch_path.as_bytes())
        .chain_update(b"|")
        .chain_update(seed.to_string().as_bytes())
        .finalize();
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(ctx.unit_name.len() + hook.len() + 34);
    id.push_str(&ctx.unit_name);
    id.push('-');
    id.push_str(hook);
    id.push('-');
    for b in &digest[..16] {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 15)] as char);
    }
    id
}
