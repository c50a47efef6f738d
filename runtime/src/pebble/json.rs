//! Pebble's JSON shapes for API results: changes and tasks, services,
//! checks, files and notices, with Go's field order and `omitempty`.

use serde_json::{Map, Value, json};

use crate::pebble::api::FileInfo;
use crate::pebble::checks::CheckInfo;
use crate::pebble::clock::rfc3339_nano;
use crate::pebble::daemon::ChangeInfo;
use crate::pebble::notices::Notice;
use crate::pebble::services::ServiceInfo;

pub fn change(c: &ChangeInfo) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), c.id.clone().into());
    m.insert("kind".into(), c.kind.clone().into());
    m.insert("summary".into(), c.summary.clone().into());
    m.insert("status".into(), c.status.clone().into());
    if !c.tasks.is_empty() {
        let tasks = c
            .tasks
            .iter()
            .map(|t| {
                let mut tm = Map::new();
                tm.insert("id".into(), t.id.clone().into());
                tm.insert("kind".into(), t.kind.clone().into());
                tm.insert("summary".into(), t.summary.clone().into());
                tm.insert("status".into(), t.status.clone().into());
                if !t.log.is_empty() {
                    tm.insert("log".into(), t.log.clone().into());
                }
                tm.insert(
                    "progress".into(),
                    json!({"label": t.progress.0, "done": t.progress.1, "total": t.progress.2}),
                );
                tm.insert("spawn-time".into(), rfc3339_nano(t.spawn_time).into());
                if let Some(r) = t.ready_time {
                    tm.insert("ready-time".into(), rfc3339_nano(r).into());
                }
                if !t.data.is_empty() {
                    tm.insert("data".into(), Value::Object(t.data.clone()));
                }
                Value::Object(tm)
            })
            .collect::<Vec<_>>();
        m.insert("tasks".into(), tasks.into());
    }
    m.insert("ready".into(), c.ready.into());
    if let Some(e) = &c.err {
        m.insert("err".into(), e.clone().into());
    }
    m.insert("spawn-time".into(), rfc3339_nano(c.spawn_time).into());
    if let Some(r) = c.ready_time {
        m.insert("ready-time".into(), rfc3339_nano(r).into());
    }
    if !c.data.is_empty() {
        m.insert("data".into(), Value::Object(c.data.clone()));
    }
    Value::Object(m)
}

pub fn service(s: &ServiceInfo) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), s.name.clone().into());
    m.insert("startup".into(), s.startup.clone().into());
    m.insert("current".into(), s.current.clone().into());
    if let Some(t) = s.current_since {
        m.insert("current-since".into(), rfc3339_nano(t).into());
    }
    Value::Object(m)
}

pub fn check(c: &CheckInfo) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), c.name.clone().into());
    if !c.level.is_empty() {
        m.insert("level".into(), c.level.clone().into());
    }
    m.insert("startup".into(), c.startup.clone().into());
    m.insert("status".into(), c.status.clone().into());
    m.insert("successes".into(), c.successes.into());
    if c.failures != 0 {
        m.insert("failures".into(), c.failures.into());
    }
    m.insert("threshold".into(), c.threshold.into());
    if let Some(id) = &c.change_id {
        m.insert("change-id".into(), id.clone().into());
    }
    if let Some(id) = &c.prev_change_id {
        m.insert("prev-change-id".into(), id.clone().into());
    }
    Value::Object(m)
}

pub fn file(f: &FileInfo) -> Value {
    let mut m = Map::new();
    m.insert("path".into(), f.path.clone().into());
    m.insert("name".into(), f.name.clone().into());
    m.insert("type".into(), f.type_.into());
    if let Some(s) = f.size {
        m.insert("size".into(), s.into());
    }
    m.insert(
        "permissions".into(),
        format!("{:03o}", f.permissions).into(),
    );
    m.insert("last-modified".into(), rfc3339_nano(f.last_modified).into());
    if let Some(u) = f.user_id {
        m.insert("user-id".into(), u.into());
    }
    if let Some(u) = &f.user {
        m.insert("user".into(), u.clone().into());
    }
    if let Some(g) = f.group_id {
        m.insert("group-id".into(), g.into());
    }
    if let Some(g) = &f.group {
        m.insert("group".into(), g.clone().into());
    }
    Value::Object(m)
}

pub fn notice(n: &Notice) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), n.id.clone().into());
    m.insert(
        "user-id".into(),
        n.user_id.map(Value::from).unwrap_or(Value::Null),
    );
    m.insert("type".into(), n.type_.clone().into());
    m.insert("key".into(), n.key.clone().into());
    m.insert(
        "first-occurred".into(),
        rfc3339_nano(n.first_occurred).into(),
    );
    m.insert("last-occurred".into(), rfc3339_nano(n.last_occurred).into());
    m.insert("last-repeated".into(), rfc3339_nano(n.last_repeated).into());
    m.insert("occurrences".into(), n.occurrences.into());
    if !n.last_data.is_empty() {
        m.insert(
            "last-data".into(),
            Value::Object(
                n.last_data
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().into()))
                    .collect(),
            ),
        );
    }
    if let Some(r) = n.repeat_after {
        m.insert("repeat-after".into(), r.to_string().into());
    }
    if let Some(e) = n.expire_after {
        m.insert("expire-after".into(), e.to_string().into());
    }
    Value::Object(m)
}
