//! What a trap says: the host's reason first (the root of the error chain,
//! e.g. the limit a host call refused), then the wasm backtrace's first
//! frames, the whole bounded in length. Shown as the failed hook's message
//! everywhere: `charmbox run`, reports, the simulator's status and log.

use wasmtime::WasmBacktrace;

/// Longest failure message kept, in bytes (the reason, then the backtrace).
pub const MAX_FAILURE_MESSAGE: usize = 2048;
/// Wasm frames shown after the reason.
pub const MAX_BACKTRACE_FRAMES: usize = 6;

/// The reason of `e`, its wasm backtrace after, within [`MAX_FAILURE_MESSAGE`].
pub fn describe(e: &wasmtime::Error) -> String {
    let mut out = reason(e);
    if let Some(bt) = e.downcast_ref::<WasmBacktrace>() {
        let frames: Vec<String> = bt
            .frames()
            .iter()
            .take(MAX_BACKTRACE_FRAMES)
            .map(|f| match f.func_name() {
                Some(n) => n.to_string(),
                None => format!("<wasm function {}>", f.func_index()),
            })
            .collect();
        if !frames.is_empty() {
            let more = if bt.frames().len() > frames.len() {
                " ← …"
            } else {
                ""
            };
            out.push_str(&format!(" (wasm backtrace: {}{more})", frames.join(" ← ")));
        }
    }
    bounded(out, MAX_FAILURE_MESSAGE)
}

/// The error chain without wasmtime's backtrace context on one line: the
/// root cause first, the contexts around it after, in parentheses.
fn reason(e: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.starts_with("error while executing at wasm backtrace") {
            continue;
        }
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
    }
    match parts.pop() {
        None => "the guest trapped".into(),
        Some(root) if parts.is_empty() => root,
        Some(root) => format!("{root} ({})", parts.join(": ")),
    }
}

/// `s` cut to at most `max` bytes on a character boundary, marked when cut.
pub fn bounded(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut cut = max.saturating_sub(3);
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_is_kept_on_one_line_and_bounded() {
        let e = wasmtime::format_err!("random-bytes: 2000000 bytes asked")
            .context("error while executing at wasm backtrace:\n    0: 0x1 - f");
        assert_eq!(describe(&e), "random-bytes: 2000000 bytes asked");
        let e = wasmtime::format_err!("the root").context("a context");
        assert_eq!(describe(&e), "the root (a context)");
        let long = bounded("é".repeat(2000), 101);
        assert!(long.len() <= 101 && long.ends_with('…'), "{}", long.len());
    }
}
