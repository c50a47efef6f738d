//! The rest of Pebble's API on the daemon: layers and plan, files with
//! owners, notices and identities. Each method is one endpoint's
//! semantics, independent of how it is called (typed import or raw HTTP).

use std::collections::BTreeMap;

use crate::go::duration::Duration;
use crate::go::quote::quote;
use crate::pebble::clock::Instant;
use crate::pebble::daemon::Pebble;
use crate::pebble::error::ApiError;
use crate::pebble::fs::{Kind, Owner, PathError};
use crate::pebble::notices::{Filter, Notice, valid_custom_key};
use crate::pebble::plan::AddLayerError;

/// Owner, mode and parents for a write or mkdir.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileOptions {
    pub make_dirs: bool,
    pub permissions: Option<u32>,
    pub user_id: Option<i64>,
    pub user: Option<String>,
    pub group_id: Option<i64>,
    pub group: Option<String>,
}

/// A listed file (`GET /v1/files?action=list`).
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    pub path: String,
    pub name: String,
    pub type_: &'static str,
    pub size: Option<u64>,
    pub permissions: u32,
    pub last_modified: Instant,
    pub user_id: Option<u32>,
    pub user: Option<String>,
    pub group_id: Option<u32>,
    pub group: Option<String>,
}

/// A listing failure: Pebble answers the whole request with an error.
pub fn list_error(e: PathError) -> ApiError {
    let status = match e.kind {
        "not-found" => 404,
        "permission-denied" => 403,
        _ => 400,
    };
    ApiError {
        status,
        kind: Some(e.kind.to_string()),
        message: e.message,
    }
}

impl Pebble {
    /// `POST /v1/layers`.
    pub fn add_layer(
        &mut self,
        label: &str,
        yaml: &str,
        combine: bool,
        inner: bool,
    ) -> Result<(), ApiError> {
        self.settle();
        if label.is_empty() {
            return Err(ApiError::bad_request("label must be set"));
        }
        let accounts = self.accounts.clone();
        match self.plan.add_layer(label, yaml, combine, inner, &accounts) {
            Ok(()) => {
                self.checks
                    .plan_changed(&mut self.overlord, &self.plan.plan().checks);
                self.settle();
                Ok(())
            }
            Err(e @ AddLayerError::Internal(_)) => Err(ApiError::server(e.to_string())),
            Err(e) => Err(ApiError::bad_request(e.to_string())),
        }
    }

    /// `GET /v1/plan?format=yaml`.
    pub fn plan_yaml(&mut self) -> String {
        self.settle();
        self.plan.plan_yaml()
    }

    fn owner(&self, o: &FileOptions) -> Result<Owner, PathError> {
        let ids = self
            .accounts
            .normalize(
                o.user_id,
                o.group_id,
                o.user.as_deref().unwrap_or(""),
                o.group.as_deref().unwrap_or(""),
            )
            .map_err(|e| PathError {
                kind: "generic-file-error",
                message: format!("cannot look up user and group: {e}"),
            })?;
        Ok(match ids {
            Some((u, g)) => Owner {
                uid: u as u32,
                gid: g as u32,
            },
            None => Owner { uid: 0, gid: 0 },
        })
    }

    /// Read a file (`pull`).
    pub fn pull(&mut self, path: &str) -> Result<Vec<u8>, PathError> {
        self.settle();
        self.fs.read(path)
    }

    /// Write a file (`push`).
    pub fn push(&mut self, path: &str, data: Vec<u8>, o: &FileOptions) -> Result<(), PathError> {
        self.settle();
        let owner = self.owner(o)?;
        let now = self.now();
        self.fs.write(
            path,
            data,
            o.make_dirs,
            o.permissions.unwrap_or(0o644),
            owner,
            now,
        )
    }

    /// Create a directory (`make_dir`; `make_dirs` means `make-parents`).
    pub fn make_dir(&mut self, path: &str, o: &FileOptions) -> Result<(), PathError> {
        self.settle();
        let owner = self.owner(o)?;
        let now = self.now();
        self.fs.mkdir(
            path,
            o.make_dirs,
            o.permissions.unwrap_or(0o755),
            owner,
            now,
        )
    }

    /// Remove a path (`remove_path`).
    pub fn remove_path(&mut self, path: &str, recursive: bool) -> Result<(), PathError> {
        self.settle();
        self.fs.remove(path, recursive)
    }

    /// List files (`list_files`).
    pub fn list_files(
        &mut self,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> Result<Vec<FileInfo>, ApiError> {
        self.settle();
        let entries = self.fs.list(path, pattern, itself).map_err(list_error)?;
        Ok(entries
            .into_iter()
            .map(|(path, name, e)| {
                let (type_, size) = match &e.kind {
                    Kind::File(d) => ("file", Some(d.len() as u64)),
                    Kind::Dir => ("directory", None),
                    Kind::Symlink(_) => ("symlink", None),
                };
                FileInfo {
                    path,
                    name,
                    type_,
                    size,
                    permissions: e.mode & 0o777,
                    last_modified: e.modified,
                    user_id: Some(e.uid),
                    user: self.accounts.user_by_id(e.uid).map(|(n, _)| n.to_string()),
                    group_id: Some(e.gid),
                    group: self.accounts.group_by_id(e.gid).map(String::from),
                }
            })
            .collect())
    }

    /// `POST /v1/notices`: record a custom notice from the charm (uid 0).
    pub fn notify(
        &mut self,
        type_: &str,
        key: &str,
        data: BTreeMap<String, String>,
        repeat_after: Option<&str>,
    ) -> Result<String, ApiError> {
        self.settle();
        if type_ != "custom" {
            return Err(ApiError::bad_request(
                "invalid type \"".to_string() + type_ + "\"; can only add \"custom\" notices",
            ));
        }
        if !valid_custom_key(key) {
            return Err(ApiError::bad_request(format!(
                "invalid key {}; must be in \"example.com/path\" format",
                quote(key)
            )));
        }
        let repeat = match repeat_after.filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => Some(Duration::parse(r).map_err(|_| {
                ApiError::bad_request(format!("invalid repeat-after {}", quote(r)))
            })?),
        };
        let size: usize = data.iter().map(|(k, v)| k.len() + v.len() + 6).sum();
        if size > 4096 {
            return Err(ApiError::bad_request(
                "total size of data must be 4096 bytes or less",
            ));
        }
        let now = self.now();
        Ok(self
            .overlord
            .notices
            .add(now, Some(0), "custom", key, data, repeat))
    }

    /// `GET /v1/notices/{id}`.
    pub fn notice(&mut self, id: &str) -> Result<Notice, ApiError> {
        self.settle();
        let now = self.now();
        self.overlord.notices.prune(now);
        match self.overlord.notices.get(id) {
            Some(n) if n.user_id.is_none() || n.user_id == Some(0) => Ok(n.clone()),
            Some(_) => Err(ApiError {
                status: 403,
                kind: None,
                message: "not allowed to access notice with id ".to_string() + &quote(id),
            }),
            None => Err(ApiError::not_found(format!(
                "cannot find notice with ID {}",
                quote(id)
            ))),
        }
    }

    /// `GET /v1/notices`.
    pub fn notices_list(&mut self, filter: &Filter) -> Vec<Notice> {
        self.settle();
        let now = self.now();
        self.overlord.notices.prune(now);
        self.overlord.notices.select(filter, 0)
    }

    /// `GET /v1/identities`, secrets redacted.
    pub fn identities(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (name, ident) in &self.identities {
            let mut i = ident.clone();
            if let Some(b) = i.get_mut("basic").and_then(|b| b.as_object_mut()) {
                b.insert("password".into(), "*****".into());
            }
            if let Some(c) = i.get_mut("cert").and_then(|c| c.as_object_mut()) {
                c.insert("pem".into(), "*****".into());
            }
            out.insert(name.clone(), i);
        }
        serde_json::Value::Object(out)
    }

    /// `POST /v1/identities` with `action` add, update, replace or remove.
    pub fn change_identities(
        &mut self,
        action: &str,
        identities: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), ApiError> {
        for (name, ident) in identities {
            match (action, ident.is_null()) {
                ("remove", false) => {
                    return Err(ApiError::bad_request(format!(
                        "identity {} value must be null for \"remove\" action",
                        quote(name)
                    )));
                }
                ("add" | "update", true) => {
                    return Err(ApiError::bad_request(format!(
                        "identity {} value must not be null for {} action",
                        quote(name),
                        quote(action)
                    )));
                }
                ("add" | "update" | "replace" | "remove", _) => {}
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "invalid action {}, must be \"add\", \"update\", \"replace\", or \"remove\"",
                        quote(action)
                    )));
                }
            }
            if !ident.is_null() {
                validate_identity(name, ident).map_err(ApiError::bad_request)?;
            }
        }
        for name in identities.keys() {
            let exists = self.identities.contains_key(name);
            match action {
                "add" if exists => {
                    return Err(ApiError::bad_request(format!(
                        "identity {} already exists",
                        quote(name)
                    )));
                }
                "update" | "remove" if !exists => {
                    return Err(ApiError::bad_request(format!(
                        "identity {} does not exist",
                        quote(name)
                    )));
                }
                _ => {}
            }
        }
        for (name, ident) in identities {
            if ident.is_null() {
                self.identities.remove(name);
            } else {
                self.identities.insert(name.clone(), ident.clone());
            }
        }
        Ok(())
    }
}

fn validate_identity(name: &str, ident: &serde_json::Value) -> Result<(), String> {
    let q = quote(name);
    let Some(obj) = ident.as_object() else {
        return Err(format!("identity {q} must be an object"));
    };
    let access = obj.get("access").and_then(|a| a.as_str()).unwrap_or("");
    if !matches!(access, "admin" | "read" | "metrics" | "untrusted") {
        return Err(format!(
            "identity {q} has invalid access {}, must be \"admin\", \"read\", \"metrics\", or \"untrusted\"",
            quote(access)
        ));
    }
    let kinds = ["local", "basic", "cert"]
        .iter()
        .filter(|k| obj.get(**k).is_some_and(|v| !v.is_null()))
        .count();
    if kinds == 0 {
        return Err(format!(
            "identity {q} must have at least one type (\"local\", \"basic\", or \"cert\")"
        ));
    }
    if let Some(local) = obj.get("local").filter(|v| !v.is_null())
        && local.get("user-id").and_then(|u| u.as_u64()).is_none()
    {
        return Err(format!("identity {q} local type requires user-id"));
    }
    Ok(())
}
