//! File endpoints: reads (multipart out), writes (multipart in), directories
//! and removal.

use serde_json::{Value, json};

use super::{BOUNDARY, Request, Response, bad, body_json, envelope, error, get, header, sync};
use crate::go::quote::quote;
use crate::pebble::api::FileOptions;
use crate::pebble::daemon::Pebble;
use crate::pebble::fs::PathError;
use crate::pebble::json;

/// One path's result: the path, and its error if any.
fn file_error_json(path: &str, e: Option<&PathError>) -> Value {
    match e {
        None => json!({ "path": path }),
        Some(e) => json!({
            "path": path,
            "error": { "message": e.message, "kind": e.kind },
        }),
    }
}

/// `GET /v1/files`: `read` (multipart out) or `list`.
pub(super) fn files_get(p: &mut Pebble, req: &Request) -> Response {
    let q = &req.query;
    match get(q, "action").unwrap_or("") {
        "read" => {
            let accept = header(&req.headers, "Accept").unwrap_or("");
            if accept != "multipart/form-data" {
                return bad("must accept multipart/form-data");
            }
            let paths: Vec<String> = q
                .iter()
                .filter(|(k, _)| k == "path")
                .map(|(_, v)| v.clone())
                .collect();
            let mut body = Vec::new();
            let mut results = Vec::new();
            for path in &paths {
                match p.pull(path) {
                    Ok(data) => {
                        body.extend(
                            format!(
                                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename={}\r\nContent-Type: application/octet-stream\r\n\r\n",
                                quote(path)
                            )
                            .into_bytes(),
                        );
                        body.extend(data);
                        body.extend(b"\r\n");
                        results.push(file_error_json(path, None));
                    }
                    Err(e) => results.push(file_error_json(path, Some(&e))),
                }
            }
            let env = envelope("sync", 200, Value::Array(results), None);
            body.extend(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"response\"\r\n\r\n{}\r\n--{BOUNDARY}--\r\n",
                    serde_json::to_string(&env).expect("JSON")
                )
                .into_bytes(),
            );
            Response {
                status: 200,
                headers: vec![(
                    "Content-Type".into(),
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )],
                body,
            }
        }
        "list" => {
            let path = get(q, "path").unwrap_or("");
            if !path.starts_with('/') {
                return bad(format!("paths must be absolute, got {}", quote(path)));
            }
            let itself = get(q, "itself") == Some("true");
            match p.list_files(path, get(q, "pattern").filter(|s| !s.is_empty()), itself) {
                Ok(list) => sync(list.iter().map(json::file).collect::<Vec<_>>().into()),
                Err(e) => error(&e),
            }
        }
        other => bad(format!("invalid action {}", quote(other))),
    }
}

/// A write's or mkdir's permissions, owner and parents flag.
fn options(v: &Value, dirs_key: &str) -> Result<FileOptions, Response> {
    let perms = match v.get("permissions").and_then(Value::as_str) {
        None | Some("") => None,
        Some(s) if s.len() == 3 && s.chars().all(|c| ('0'..='7').contains(&c)) => {
            Some(u32::from_str_radix(s, 8).expect("octal"))
        }
        Some(_) => return Err(bad("permissions must be a 3-digit octal string")),
    };
    Ok(FileOptions {
        make_dirs: v.get(dirs_key).and_then(Value::as_bool).unwrap_or(false),
        permissions: perms,
        user_id: v.get("user-id").and_then(Value::as_i64),
        user: v.get("user").and_then(Value::as_str).map(String::from),
        group_id: v.get("group-id").and_then(Value::as_i64),
        group: v.get("group").and_then(Value::as_str).map(String::from),
    })
}

/// `POST /v1/files`: multipart `write`, or JSON `make-dirs`/`remove`.
pub(super) fn files_post(p: &mut Pebble, req: &Request) -> Response {
    let ctype = header(&req.headers, "Content-Type").unwrap_or("");
    if ctype.starts_with("multipart/form-data") {
        return files_write(p, req, ctype);
    }
    let body = match body_json(req, "cannot decode request body") {
        Ok(b) => b,
        Err(r) => return r,
    };
    match body.get("action").and_then(Value::as_str).unwrap_or("") {
        "make-dirs" => {
            let mut results = Vec::new();
            for d in body
                .get("dirs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let path = d
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let opts = match options(d, "make-parents") {
                    Ok(o) => o,
                    Err(r) => return r,
                };
                let r = p.make_dir(&path, &opts);
                results.push(file_error_json(&path, r.as_ref().err()));
            }
            sync(Value::Array(results))
        }
        "remove" => {
            let mut results = Vec::new();
            for d in body
                .get("paths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let path = d
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let recursive = d.get("recursive").and_then(Value::as_bool).unwrap_or(false);
                let r = p.remove_path(&path, recursive);
                results.push(file_error_json(&path, r.as_ref().err()));
            }
            sync(Value::Array(results))
        }
        other => bad(format!(
            "invalid action {}, must be \"make-dirs\" or \"remove\"",
            quote(other)
        )),
    }
}

/// `POST /v1/files` as multipart: the `write` action, its metadata in the
/// `request` part and each file's content in a `files` part.
fn files_write(p: &mut Pebble, req: &Request, ctype: &str) -> Response {
    let Some(boundary) = ctype
        .split(';')
        .map(str::trim)
        .find_map(|s| s.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_string())
    else {
        return bad("cannot read multipart request: no boundary");
    };
    let parts = match parse_multipart(&req.body, &boundary) {
        Ok(p) => p,
        Err(m) => return bad(format!("cannot read multipart request: {m}")),
    };
    let Some((_, _, first)) = parts.iter().find(|(name, _, _)| name == "request") else {
        return bad("must have a \"request\" field as the first part");
    };
    let meta: Value = match serde_json::from_slice(first) {
        Ok(v) => v,
        Err(e) => return bad(format!("cannot decode request body: {e}")),
    };
    if meta.get("action").and_then(Value::as_str) != Some("write") {
        return bad("multipart action must be \"write\"");
    }
    let mut results = Vec::new();
    for item in meta
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let path = item
            .get("path")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let opts = match options(item, "make-dirs") {
            Ok(o) => o,
            Err(r) => return r,
        };
        let data = parts
            .iter()
            .find(|(name, fname, _)| name == "files" && fname.as_deref() == Some(path.as_str()))
            .map(|(_, _, d)| d.clone());
        let result = match data {
            None => Err(PathError {
                kind: "generic-file-error",
                message: format!("no file content for path {}", quote(&path)),
            }),
            Some(d) => p.push(&path, d, &opts),
        };
        results.push(file_error_json(&path, result.as_ref().err()));
    }
    sync(Value::Array(results))
}

/// `(name, filename, body)` of each part.
type Part = (String, Option<String>, Vec<u8>);

/// The parts of a `multipart/form-data` body.
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}").into_bytes();
    let find = |hay: &[u8], needle: &[u8], from: usize| -> Option<usize> {
        if needle.is_empty() || hay.len() < needle.len() {
            return None;
        }
        (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
    };
    let mut parts = Vec::new();
    let Some(mut pos) = find(body, &delim, 0) else {
        return Err("no parts".into());
    };
    loop {
        pos += delim.len();
        if body[pos..].starts_with(b"--") {
            break;
        }
        if body[pos..].starts_with(b"\r\n") {
            pos += 2;
        }
        let Some(head_end) = find(body, b"\r\n\r\n", pos) else {
            return Err("malformed part header".into());
        };
        let head = String::from_utf8_lossy(&body[pos..head_end]).into_owned();
        let start = head_end + 4;
        let Some(next) = find(body, &delim, start) else {
            return Err("unterminated part".into());
        };
        let mut end = next;
        if end >= 2 && &body[end - 2..end] == b"\r\n" {
            end -= 2;
        }
        let disp = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("");
        let field = |key: &str| -> Option<String> {
            let pat = format!("{key}=\"");
            let i = disp.find(&pat)? + pat.len();
            let rest = &disp[i..];
            let mut out = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.push(chars.next()?),
                    '"' => return Some(out),
                    c => out.push(c),
                }
            }
            None
        };
        parts.push((
            field("name").unwrap_or_default(),
            field("filename"),
            body[start..end].to_vec(),
        ));
        pos = next;
    }
    Ok(parts)
}
