//! Juju's rules for action results (`action-set`): key names and the keys
//! Juju keeps for itself.

/// Result keys Juju reserves for a `juju exec`'s output.
pub const RESERVED_RESULT_KEYS: &[&str] =
    &["stdout", "stdout-encoding", "stderr", "stderr-encoding"];

/// Most dot-separated parts of an `action-set` key. Each part nests the
/// results one level deeper, and results are written as JSON (the report,
/// traces, the simulator's model) that serde_json reads back only 128
/// levels deep; Juju's own store (MongoDB) refuses documents nested over
/// 100 levels. Legitimate keys have a handful of parts.
pub const MAX_ACTION_KEY_PARTS: usize = 64;

/// Juju's rule for each part of a result key (as for action names):
/// `^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`.
pub fn is_result_key(k: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !k.is_empty() && k.starts_with(ok) && k.ends_with(ok) && k.chars().all(|c| ok(c) || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_keys() {
        for good in ["a", "out", "a-b", "x1", "1x"] {
            assert!(is_result_key(good), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a_b", "a.b"] {
            assert!(!is_result_key(bad), "{bad}");
        }
    }
}
