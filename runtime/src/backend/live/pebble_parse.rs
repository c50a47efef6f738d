//! Pebble's JSON results read into the WIT records, strictly: a field of
//! the wrong type, a missing required field or a malformed multipart body
//! is an error message (the caller names the request), never a panic.
//! Optional fields default as ops' `from_dict` methods default them.

use serde_json::{Map, Value};

use crate::bindings::pebble as wit;

/// A result read, or why it could not be.
pub(super) type Parsed<T> = Result<T, String>;

type Obj = Map<String, Value>;

fn obj<'a>(v: &'a Value, what: &str) -> Parsed<&'a Obj> {
    v.as_object()
        .ok_or_else(|| format!("{what} is not a JSON object"))
}

/// A JSON array; `null` (as Pebble sends for an empty list) is empty.
pub(super) fn list<'a>(v: &'a Value, what: &str) -> Parsed<&'a [Value]> {
    match v {
        Value::Array(a) => Ok(a),
        Value::Null => Ok(&[]),
        _ => Err(format!("{what} is not a JSON array")),
    }
}

fn string(m: &Obj, key: &str) -> Parsed<String> {
    opt_string(m, key)?.ok_or_else(|| format!("{key:?} is missing"))
}

fn opt_string(m: &Obj, key: &str) -> Parsed<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{key:?} is not a string")),
    }
}

fn opt_u64(m: &Obj, key: &str) -> Parsed<Option<u64>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("{key:?} is not a non-negative integer")),
    }
}

fn opt_u32(m: &Obj, key: &str) -> Parsed<Option<u32>> {
    opt_u64(m, key)?
        .map(|n| u32::try_from(n).map_err(|_| format!("{key:?} is out of range")))
        .transpose()
}

/// A count, saturated at `u32::MAX` as the simulated backend saturates.
fn count(m: &Obj, key: &str) -> Parsed<u32> {
    Ok(opt_u64(m, key)?.map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)))
}

fn boolean(m: &Obj, key: &str) -> Parsed<bool> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{key:?} is not a boolean")),
    }
}

/// A string result (`/v1/plan`).
pub(super) fn text(v: &Value, what: &str) -> Parsed<String> {
    v.as_str()
        .map(String::from)
        .ok_or_else(|| format!("{what} is not a string"))
}

/// A list of strings; `null` is empty.
pub(super) fn strings(v: &Value, what: &str) -> Parsed<Vec<String>> {
    list(v, what)?.iter().map(|s| text(s, what)).collect()
}

/// A change with its tasks (`/v1/changes/<id>`).
pub(super) fn change(v: &Value) -> Parsed<wit::ChangeInfo> {
    let m = obj(v, "the change")?;
    let tasks = match m.get("tasks") {
        None => Vec::new(),
        Some(t) => list(t, "\"tasks\"")?
            .iter()
            .map(task)
            .collect::<Parsed<_>>()?,
    };
    Ok(wit::ChangeInfo {
        id: string(m, "id")?,
        kind: string(m, "kind")?,
        summary: opt_string(m, "summary")?.unwrap_or_default(),
        status: string(m, "status")?,
        ready: boolean(m, "ready")?,
        err: opt_string(m, "err")?,
        spawn_time: string(m, "spawn-time")?,
        ready_time: opt_string(m, "ready-time")?,
        tasks,
    })
}

fn task(v: &Value) -> Parsed<wit::TaskInfo> {
    let m = obj(v, "a task")?;
    let log = match m.get("log") {
        None => Vec::new(),
        Some(l) => strings(l, "a task's \"log\"")?,
    };
    let (label, done, total) = match m.get("progress") {
        None | Some(Value::Null) => (String::new(), 0, 0),
        Some(p) => {
            let p = obj(p, "a task's \"progress\"")?;
            (
                opt_string(p, "label")?.unwrap_or_default(),
                count(p, "done")?,
                count(p, "total")?,
            )
        }
    };
    let data_json = match m.get("data") {
        None | Some(Value::Null) => None,
        Some(Value::Object(d)) if d.is_empty() => None,
        Some(d @ Value::Object(_)) => Some(d.to_string()),
        Some(_) => return Err("a task's \"data\" is not a JSON object".into()),
    };
    Ok(wit::TaskInfo {
        id: string(m, "id")?,
        kind: string(m, "kind")?,
        summary: opt_string(m, "summary")?.unwrap_or_default(),
        status: string(m, "status")?,
        log,
        progress_label: label,
        progress_done: done,
        progress_total: total,
        spawn_time: string(m, "spawn-time")?,
        ready_time: opt_string(m, "ready-time")?,
        data_json,
    })
}

/// A list of changes.
pub(super) fn changes(v: &Value) -> Parsed<Vec<wit::ChangeInfo>> {
    list(v, "the changes")?.iter().map(change).collect()
}

/// `/v1/services`.
pub(super) fn services(v: &Value) -> Parsed<Vec<wit::ServiceInfo>> {
    list(v, "the services")?
        .iter()
        .map(|s| {
            let m = obj(s, "a service")?;
            Ok(wit::ServiceInfo {
                name: string(m, "name")?,
                startup: if opt_string(m, "startup")?.as_deref() == Some("enabled") {
                    wit::ServiceStartup::Enabled
                } else {
                    wit::ServiceStartup::Disabled
                },
                current: string(m, "current")?,
            })
        })
        .collect()
}

/// `/v1/checks`.
pub(super) fn checks(v: &Value) -> Parsed<Vec<wit::CheckInfo>> {
    list(v, "the checks")?
        .iter()
        .map(|c| {
            let m = obj(c, "a check")?;
            Ok(wit::CheckInfo {
                name: string(m, "name")?,
                level: match opt_string(m, "level")?.as_deref() {
                    Some("alive") => wit::CheckLevel::Alive,
                    Some("ready") => wit::CheckLevel::Ready,
                    _ => wit::CheckLevel::Unset,
                },
                startup: opt_string(m, "startup")?.unwrap_or_else(|| "enabled".into()),
                status: string(m, "status")?,
                successes: count(m, "successes")?,
                failures: count(m, "failures")?,
                threshold: count(m, "threshold")?,
                change_id: opt_string(m, "change-id")?,
            })
        })
        .collect()
}

/// `/v1/files?action=list`.
pub(super) fn files(v: &Value) -> Parsed<Vec<wit::FileInfo>> {
    list(v, "the files")?
        .iter()
        .map(|f| {
            let m = obj(f, "a file")?;
            let perms = string(m, "permissions")?;
            let permissions = u32::from_str_radix(&perms, 8)
                .map_err(|_| format!("\"permissions\" {perms:?} is not octal"))?;
            Ok(wit::FileInfo {
                path: string(m, "path")?,
                name: string(m, "name")?,
                type_: match string(m, "type")?.as_str() {
                    "file" => wit::FileType::File,
                    "directory" => wit::FileType::Directory,
                    "symlink" => wit::FileType::Symlink,
                    "socket" => wit::FileType::Socket,
                    "named-pipe" => wit::FileType::NamedPipe,
                    "device" => wit::FileType::Device,
                    _ => wit::FileType::Unknown,
                },
                size: opt_u64(m, "size")?,
                permissions,
                last_modified: string(m, "last-modified")?,
                user_id: opt_u32(m, "user-id")?,
                user: opt_string(m, "user")?,
                group_id: opt_u32(m, "group-id")?,
                group: opt_string(m, "group")?,
            })
        })
        .collect()
}

/// One notice (`/v1/notices/<id>`); its data sorted by key.
pub(super) fn notice(v: &Value) -> Parsed<wit::Notice> {
    let m = obj(v, "the notice")?;
    let mut last_data = Vec::new();
    match m.get("last-data") {
        None | Some(Value::Null) => {}
        Some(Value::Object(d)) => {
            for (k, v) in d {
                let v = v
                    .as_str()
                    .ok_or_else(|| format!("\"last-data\" value of {k:?} is not a string"))?;
                last_data.push((k.clone(), v.to_string()));
            }
        }
        Some(_) => return Err("\"last-data\" is not a JSON object".into()),
    }
    last_data.sort();
    Ok(wit::Notice {
        id: string(m, "id")?,
        user_id: opt_u32(m, "user-id")?,
        type_: string(m, "type")?,
        key: string(m, "key")?,
        first_occurred: string(m, "first-occurred")?,
        last_occurred: string(m, "last-occurred")?,
        last_repeated: string(m, "last-repeated")?,
        occurrences: count(m, "occurrences")?,
        last_data,
        repeat_after: opt_string(m, "repeat-after")?,
        expire_after: opt_string(m, "expire-after")?,
    })
}

/// A list of notices.
pub(super) fn notices(v: &Value) -> Parsed<Vec<wit::Notice>> {
    list(v, "the notices")?.iter().map(notice).collect()
}

/// The per-path result of a file call for `path` (ops'
/// `_raise_on_path_error`): `Ok(None)` when it succeeded, `Ok(Some)` with
/// its error.
pub(super) fn path_result(result: &Value, path: &str) -> Parsed<Option<wit::PathError>> {
    for item in list(result, "the file results")? {
        let m = obj(item, "a file result")?;
        if opt_string(m, "path")?.as_deref() != Some(path) {
            continue;
        }
        return match m.get("error") {
            None | Some(Value::Null) => Ok(None),
            Some(e) => {
                let e = obj(e, "a file result's \"error\"")?;
                Ok(Some(wit::PathError {
                    kind: opt_string(e, "kind")?.unwrap_or_default(),
                    message: opt_string(e, "message")?.unwrap_or_default(),
                }))
            }
        };
    }
    Err(format!("path {path:?} not found in the response metadata"))
}

/// One part of a multipart body: its `name`, `filename` and content.
#[derive(Debug, PartialEq)]
pub(super) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub body: Vec<u8>,
}

/// The boundary of a `multipart/form-data` Content-Type.
pub(super) fn boundary(content_type: &str) -> Parsed<String> {
    let mut fields = content_type.split(';');
    let media = fields.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return Err(format!(
            "expected Content-Type 'multipart/form-data', got {media:?}"
        ));
    }
    fields
        .filter_map(|f| f.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or_else(|| "invalid boundary".to_string())
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let at = i + hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        if hay[at..].starts_with(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The parts of a `multipart/form-data` body with `boundary`: each part's
/// content ends at the next `\r\n--boundary`, so any bytes may be in it.
pub(super) fn multipart(body: &[u8], boundary: &str) -> Parsed<Vec<Part>> {
    let delim = format!("--{boundary}").into_bytes();
    let next_delim = format!("\r\n--{boundary}").into_bytes();
    let mut pos = match find(body, &delim, 0) {
        Some(p) => p + delim.len(),
        None => return Err("no multipart delimiter".into()),
    };
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err("malformed multipart delimiter".into());
        }
        pos += 2;
        let head_end =
            find(body, b"\r\n\r\n", pos).ok_or_else(|| "malformed part header".to_string())?;
        if head_end - pos > 16 << 10 {
            return Err("part header too long".into());
        }
        let head = String::from_utf8_lossy(&body[pos..head_end]).into_owned();
        let start = head_end + 4;
        let end = find(body, &next_delim, start).ok_or_else(|| "unterminated part".to_string())?;
        let disposition = head
            .split("\r\n")
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then_some(v)
            })
            .unwrap_or("");
        parts.push(Part {
            name: param(disposition, "name").unwrap_or_default(),
            filename: param(disposition, "filename"),
            body: body[start..end].to_vec(),
        });
        pos = end + next_delim.len();
    }
}

/// A `key="value"` (or unquoted) parameter of a Content-Disposition, its
/// backslash escapes undone.
fn param(disposition: &str, key: &str) -> Option<String> {
    let mut rest = disposition;
    while let Some(i) = rest.find(';') {
        rest = rest[i + 1..].trim_start();
        let (k, v) = rest.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case(key) {
            continue;
        }
        let v = v.trim_start();
        let Some(quoted) = v.strip_prefix('"') else {
            return Some(v.split(';').next().unwrap_or("").trim().to_string());
        };
        let mut out = String::new();
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?),
                '"' => return Some(out),
                c => out.push(c),
            }
        }
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_parts_keep_any_bytes() {
        let body = b"--b0\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/a \\\"q\\\"\"\r\n\r\nx\r\n--b\r\n--b1--\r\n\r\n--b0\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n{}\r\n--b0--\r\n";
        let parts = multipart(body, "b0").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].filename.as_deref(), Some("/a \"q\""));
        assert_eq!(parts[0].body, b"x\r\n--b\r\n--b1--\r\n");
        assert_eq!(parts[1].name, "response");
        assert_eq!(parts[1].body, b"{}");
        for bad in [
            &b""[..],
            b"--b0",
            b"--b0\r\nX: y",
            b"--b0\r\n\r\nbody",
            b"--b0xx",
        ] {
            assert!(multipart(bad, "b0").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wrong_types_are_errors() {
        let v: Value = serde_json::json!([{"name": 5, "current": "active"}]);
        assert!(services(&v).unwrap_err().contains("\"name\""));
        let v: Value = serde_json::json!({"id": "1", "kind": "k", "status": "Done",
            "spawn-time": "t", "tasks": [{"id": "2"}]});
        assert!(change(&v).is_err());
        assert!(checks(&serde_json::json!("x")).is_err());
        assert!(
            files(
                &serde_json::json!([{"path": "/a", "name": "a", "type": "file",
            "permissions": "9z", "last-modified": "t"}])
            )
            .is_err()
        );
        assert!(notice(&serde_json::json!({"id": "1", "last-data": {"k": 1}})).is_err());
        assert!(boundary("text/plain").unwrap_err().contains("multipart"));
        assert_eq!(
            boundary("multipart/form-data; boundary=\"ab\"").unwrap(),
            "ab"
        );
    }
}
