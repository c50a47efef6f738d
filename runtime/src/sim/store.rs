//! The model in a SQLite file: one row per application, unit, relation
//! view, relation, databag, secret and action (JSON), plus the event and
//! log history. Each commit writes the rows the model marked dirty, in one
//! transaction — one per committed hook or operation — so a killed process
//! leaves the file at a committed point.
//!
//! WAL journal with `synchronous=NORMAL`: a commit survives the process
//! being killed (it is in the WAL, in the OS's hands); only a power loss
//! may lose the last commits, never tear one.
//!
//! One command at a time: a store holds its file's [`ModelLock`] while it
//! is open. Behind the lock, a generation counter in `meta` is read with
//! the model and checked by every commit (in an immediate transaction):
//! a commit on a model another process changed since it was read is
//! refused ([`SimError::Stale`]), never written over it.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::SimError;
use super::history::{EventRecord, LogEntry};
use super::lock::ModelLock;
use super::model::{BagOwner, Databag, Meta, Model};
use super::names::UnitName;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS views (unit TEXT NOT NULL, relation INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (unit, relation));
CREATE TABLE IF NOT EXISTS relations (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bags (relation INTEGER NOT NULL, owner TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (relation, owner));
CREATE TABLE IF NOT EXISTS secrets (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, unit TEXT NOT NULL,
    event TEXT NOT NULL, detail TEXT NOT NULL, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, unit TEXT NOT NULL,
    event TEXT NOT NULL, level TEXT NOT NULL, source TEXT NOT NULL, message TEXT NOT NULL);
";

/// Schema version, kept in `meta`.
const FORMAT: &str = "charmbox-model/1";

/// A model file, open and locked.
pub struct Store {
    conn: Connection,
    /// The model file, for messages.
    path: String,
    /// The generation of the model this process read or last wrote.
    generation: i64,
    /// Held while the store is open (dropped after the connection).
    _lock: ModelLock,
}

fn read_generation(conn: &Connection) -> Result<i64, SimError> {
    let raw: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'generation'", [], |r| {
            r.get(0)
        })
        .optional()?;
    match raw {
        None => Ok(0),
        Some(g) => g
            .parse()
            .map_err(|_| SimError::Corrupt(format!("bad generation {g:?}"))),
    }
}

fn owner_key(o: &BagOwner) -> String {
    match o {
        BagOwner::App(a) => format!("app:{a}"),
        BagOwner::Unit(u) => format!("unit:{u}"),
    }
}

fn parse_owner(s: &str) -> Result<BagOwner, SimError> {
    match s.split_once(':') {
        Some(("app", a)) => Ok(BagOwner::App(a.into())),
        Some(("unit", u)) => Ok(BagOwner::Unit(u.parse().map_err(SimError::Corrupt)?)),
        _ => Err(SimError::Corrupt(format!("bad bag owner {s:?}"))),
    }
}

impl Store {
    fn connect(path: &Path) -> Result<Connection, SimError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Fewer, larger checkpoints: the WAL's fsync is the costly part.
        conn.pragma_update(None, "wal_autocheckpoint", 20000)?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(conn)
    }

    /// Create a model file (it must not hold a model yet) under `lock`.
    pub fn create(path: &Path, model: &mut Model, lock: ModelLock) -> Result<Store, SimError> {
        let conn = Self::connect(path)?;
        conn.execute_batch(SCHEMA)?;
        let exists: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            return Err(SimError::Usage(format!(
                "{} already holds a model",
                path.display()
            )));
        }
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('format', ?1)",
            [FORMAT],
        )?;
        let mut store = Store {
            conn,
            path: path.display().to_string(),
            generation: 0,
            _lock: lock,
        };
        store.commit(model, &[], &[])?;
        Ok(store)
    }

    /// An error unless `path` exists.
    pub fn check_exists(path: &Path) -> Result<(), SimError> {
        if path.exists() {
            return Ok(());
        }
        Err(SimError::Usage(format!(
            "no model file {} (create one with `charmbox model new` or deploy into it)",
            path.display()
        )))
    }

    /// Open a model file under `lock` and load its model.
    pub fn open(path: &Path, lock: ModelLock) -> Result<(Store, Model), SimError> {
        Self::check_exists(path)?;
        let conn = Self::connect(path)?;
        let format: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()
            .unwrap_or(None);
        if format.as_deref() != Some(FORMAT) {
            return Err(SimError::Usage(format!(
                "{} is not a charmbox model file",
                path.display()
            )));
        }
        let mut store = Store {
            conn,
            path: path.display().to_string(),
            generation: 0,
            _lock: lock,
        };
        let model = store.load()?;
        Ok((store, model))
    }

    /// Read the model and its generation, in one read transaction.
    fn load(&mut self) -> Result<Model, SimError> {
        let tx = self.conn.transaction()?;
        let generation = read_generation(&tx)?;
        let model = Self::load_rows(&tx)?;
        tx.commit()?;
        self.generation = generation;
        Ok(model)
    }

    fn load_rows(conn: &Connection) -> Result<Model, SimError> {
        let meta: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'model'", [], |r| {
                r.get(0)
            })?;
        let mut m = Model::new(serde_json::from_str::<Meta>(&meta)?);
        m.dirty = Default::default();
        let rows = |sql: &str| -> Result<Vec<String>, SimError> {
            let mut st = conn.prepare(sql)?;
            let v = st
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        };
        for d in rows("SELECT data FROM apps")? {
            let a: super::model::Application = serde_json::from_str(&d)?;
            m.apps.insert(a.name.clone(), a);
        }
        for d in rows("SELECT data FROM units")? {
            let u: super::model::Unit = serde_json::from_str(&d)?;
            m.units.insert(u.name.clone(), u);
        }
        for d in rows("SELECT data FROM relations")? {
            let r: super::model::Relation = serde_json::from_str(&d)?;
            m.relations.insert(r.id, r);
        }
        for d in rows("SELECT data FROM secrets")? {
            let s: super::model::Secret = serde_json::from_str(&d)?;
            m.secrets.insert(s.id.clone(), s);
        }
        for d in rows("SELECT data FROM actions")? {
            let a: super::model::ActionRecord = serde_json::from_str(&d)?;
            m.actions.insert(a.id, a);
        }
        let mut st = conn.prepare("SELECT unit, relation, data FROM views")?;
        let views = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (u, rel, d) in views {
            let u: UnitName = u.parse().map_err(SimError::Corrupt)?;
            m.views
                .entry(u)
                .or_default()
                .insert(rel, serde_json::from_str(&d)?);
        }
        let mut st = conn.prepare("SELECT relation, owner, data FROM bags")?;
        let bags = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (rel, owner, d) in bags {
            let bag: Databag = serde_json::from_str(&d)?;
            m.load_bag(rel, parse_owner(&owner)?, bag);
        }
        m.rebuild_watches();
        Ok(m)
    }

    /// Write what the model marked dirty, and the new history, in one
    /// transaction; clears the marks.
    pub fn commit(
        &mut self,
        m: &mut Model,
        events: &[EventRecord],
        logs: &[LogEntry],
    ) -> Result<(), SimError> {
        let dirty = std::mem::take(&mut m.dirty);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found = read_generation(&tx)?;
        if found != self.generation {
            return Err(SimError::Stale {
                model: self.path.clone(),
            });
        }
        tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('generation', ?1)")?
            .execute([(self.generation + 1).to_string()])?;
        if dirty.meta {
            tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('model', ?1)")?
                .execute([serde_json::to_string(&m.meta)?])?;
        }
        for name in &dirty.apps {
            match m.apps.get(name) {
                Some(a) => tx
                    .prepare_cached("INSERT OR REPLACE INTO apps (name, data) VALUES (?1, ?2)")?
                    .execute(params![name, serde_json::to_string(a)?])?,
                None => tx
                    .prepare_cached("DELETE FROM apps WHERE name = ?1")?
                    .execute([name])?,
            };
        }
        for name in &dirty.units {
            let key = name.to_string();
            match m.units.get(name) {
                Some(u) => tx
                    .prepare_cached("INSERT OR REPLACE INTO units (name, data) VALUES (?1, ?2)")?
                    .execute(params![key, serde_json::to_string(u)?])?,
                None => tx
                    .prepare_cached("DELETE FROM units WHERE name = ?1")?
                    .execute([key])?,
            };
        }
        for (u, rel) in &dirty.views {
            let key = u.to_string();
            match m.view(u, *rel) {
                Some(v) => tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO views (unit, relation, data) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![key, rel, serde_json::to_string(v)?])?,
                None => tx
                    .prepare_cached("DELETE FROM views WHERE unit = ?1 AND relation = ?2")?
                    .execute(params![key, rel])?,
            };
        }
        for id in &dirty.relations {
            match m.relations.get(id) {
                Some(r) => tx
                    .prepare_cached("INSERT OR REPLACE INTO relations (id, data) VALUES (?1, ?2)")?
                    .execute(params![id, serde_json::to_string(r)?])?,
                None => tx
                    .prepare_cached("DELETE FROM relations WHERE id = ?1")?
                    .execute([id])?,
            };
        }
        for (rel, owner) in &dirty.bags {
            let key = owner_key(owner);
            match m.bag(*rel, owner) {
                Some(b) => tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO bags (relation, owner, data) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![rel, key, serde_json::to_string(b)?])?,
                None => tx
                    .prepare_cached("DELETE FROM bags WHERE relation = ?1 AND owner = ?2")?
                    .execute(params![rel, key])?,
            };
        }
        for id in &dirty.secrets {
            match m.secrets.get(id) {
                Some(s) => tx
                    .prepare_cached("INSERT OR REPLACE INTO secrets (id, data) VALUES (?1, ?2)")?
                    .execute(params![id, serde_json::to_string(s)?])?,
                None => tx
                    .prepare_cached("DELETE FROM secrets WHERE id = ?1")?
                    .execute([id])?,
            };
        }
        for id in &dirty.actions {
            if let Some(a) = m.actions.get(id) {
                tx.prepare_cached("INSERT OR REPLACE INTO actions (id, data) VALUES (?1, ?2)")?
                    .execute(params![*id as i64, serde_json::to_string(a)?])?;
            }
        }
        for e in events {
            tx.prepare_cached(
                "INSERT INTO events (seq, time, unit, event, detail, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![e.seq as i64, e.time as i64, e.unit, e.event, e.detail, e.outcome])?;
        }
        for l in logs {
            tx.prepare_cached(
                "INSERT INTO logs (seq, time, unit, event, level, source, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![l.seq as i64, l.time as i64, l.unit, l.event, l.level, l.source, l.message])?;
        }
        tx.commit()?;
        self.generation += 1;
        Ok(())
    }

    /// Every hook run, in order.
    pub fn events(&self) -> Result<Vec<EventRecord>, SimError> {
        let mut st = self
            .conn
            .prepare("SELECT seq, time, unit, event, detail, outcome FROM events ORDER BY seq")?;
        let v = st
            .query_map([], |r| {
                Ok(EventRecord {
                    seq: r.get::<_, i64>(0)? as u64,
                    time: r.get::<_, i64>(1)? as u64,
                    unit: r.get(2)?,
                    event: r.get(3)?,
                    detail: r.get(4)?,
                    outcome: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    /// Every log line, in order.
    pub fn logs(&self) -> Result<Vec<LogEntry>, SimError> {
        let mut st = self.conn.prepare(
            "SELECT seq, time, unit, event, level, source, message FROM logs ORDER BY seq",
        )?;
        let v = st
            .query_map([], |r| {
                Ok(LogEntry {
                    seq: r.get::<_, i64>(0)? as u64,
                    time: r.get::<_, i64>(1)? as u64,
                    unit: r.get(2)?,
                    event: r.get(3)?,
                    level: r.get(4)?,
                    source: r.get(5)?,
                    message: r.get(6)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    }

    /// `PRAGMA integrity_check`.
    pub fn integrity(&self) -> Result<String, SimError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::{Runtime, RuntimeConfig};
    use crate::sim::{ModelOptions, Simulator};

    /// Two stores on one file, as if the lock had failed (each holds the
    /// lock of another name): the second writer's stale model is refused.
    #[test]
    fn a_commit_on_a_model_changed_since_it_was_read_is_refused() {
        let dir = std::env::temp_dir().join(format!("charmbox-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("m.db");
        let rt = Runtime::new(RuntimeConfig {
            cache_dir: None,
            pool_slots: None,
            ..Default::default()
        })
        .unwrap();
        drop(Simulator::create(rt, &db, ModelOptions::default()).unwrap());
        let lock = |name: &str| ModelLock::acquire(&dir.join(name), Duration::ZERO, &mut |_| {});
        let (mut a, mut ma) = Store::open(&db, lock("a").unwrap()).unwrap();
        let (mut b, mut mb) = Store::open(&db, lock("b").unwrap()).unwrap();
        ma.meta_mut().now += 1;
        a.commit(&mut ma, &[], &[]).unwrap();
        mb.meta_mut().now += 2;
        let err = b.commit(&mut mb, &[], &[]).unwrap_err();
        assert!(matches!(err, SimError::Stale { .. }), "{err}");
        assert!(
            err.to_string().contains("changed by another process"),
            "{err}"
        );
        // The first writer goes on; what it wrote is what the file holds.
        ma.meta_mut().now += 1;
        a.commit(&mut ma, &[], &[]).unwrap();
        drop((a, b));
        let (_, m) = Store::open(&db, lock("c").unwrap()).unwrap();
        assert_eq!(m.meta.now, ma.meta.now);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
