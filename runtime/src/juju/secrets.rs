//! Juju's secret rules (core/secrets): ids and URIs, content keys, rotate
//! policies. One copy, used by the backend, the raw tools and the State check.

use crate::bindings::types::SecretRotatePolicy;
use crate::juju::names::is_uuid;

/// Largest base64-encoded value Juju 3.6 accepts (`core/secrets`).
pub const MAX_SECRET_VALUE: usize = 1_000_000;
/// Largest base64-encoded content (all values) Juju 3.6 accepts.
pub const MAX_SECRET_CONTENT: usize = 1_000_000;

/// A secret's bare id: an xid, 20 lower-case letters and digits.
pub fn is_secret_xid(id: &str) -> bool {
    id.len() == 20
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// The bare id of a secret URI as a model holds it: `secret:<xid>`, or
/// `secret://<model-uuid>/<xid>` for another model's secret.
pub fn secret_uri_id(uri: &str) -> Option<&str> {
    let rest = uri.strip_prefix("secret:")?;
    let id = match rest.strip_prefix("//") {
        Some(r) => {
            let (uuid, id) = r.split_once('/')?;
            is_uuid(uuid).then_some(id)?
        }
        None => rest,
    };
    is_secret_xid(id).then_some(id)
}

/// core/secrets' rule for a secret content key: `^[a-z](-?[a-z0-9]){2,}$`.
pub fn is_secret_key(k: &str) -> bool {
    let b = k.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_lowercase() || b[b.len() - 1] == b'-' {
        return false;
    }
    let mut prev_dash = false;
    for &c in &b[1..] {
        match c {
            b'-' if prev_dash => return false,
            b'-' => prev_dash = true,
            c if c.is_ascii_lowercase() || c.is_ascii_digit() => prev_dash = false,
            _ => return false,
        }
    }
    b[1..].iter().filter(|c| **c != b'-').count() >= 2
}

/// Juju's rotate policies by name, in the order Juju lists them.
pub const ROTATE_POLICIES: &[&str] = &[
    "never",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "yearly",
];

/// A rotate policy's name, as `secret-info-get` prints it and `--rotate` takes it.
pub fn rotate_name(p: SecretRotatePolicy) -> &'static str {
    use SecretRotatePolicy::*;
    match p {
        Never => "never",
        Hourly => "hourly",
        Daily => "daily",
        Weekly => "weekly",
        Monthly => "monthly",
        Quarterly => "quarterly",
        Yearly => "yearly",
    }
}

/// The rotate policy named `s` (Juju's `RotatePolicy.IsValid` names).
pub fn rotate_policy(s: &str) -> Option<SecretRotatePolicy> {
    use SecretRotatePolicy::*;
    [Never, Hourly, Daily, Weekly, Monthly, Quarterly, Yearly]
        .into_iter()
        .find(|p| rotate_name(*p) == s)
}

/// The interval of a rotate policy, in nanoseconds (`never`: none).
pub fn rotate_interval_ns(policy: &str) -> Option<u64> {
    const H: u64 = 3_600_000_000_000;
    Some(match rotate_policy(policy)? {
        SecretRotatePolicy::Never => return None,
        SecretRotatePolicy::Hourly => H,
        SecretRotatePolicy::Daily => 24 * H,
        SecretRotatePolicy::Weekly => 7 * 24 * H,
        SecretRotatePolicy::Monthly => 30 * 24 * H,
        SecretRotatePolicy::Quarterly => 90 * 24 * H,
        SecretRotatePolicy::Yearly => 365 * 24 * H,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets() {
        assert_eq!(
            secret_uri_id("secret:9m4e2mr0ui3e8a215n4g"),
            Some("9m4e2mr0ui3e8a215n4g")
        );
        assert_eq!(
            secret_uri_id("secret://00000000-0000-4000-8000-000000000000/9m4e2mr0ui3e8a215n4g"),
            Some("9m4e2mr0ui3e8a215n4g")
        );
        for bad in [
            "9m4e2mr0ui3e8a215n4g",
            "secret:9m4e2mr0ui3e8a215n4",
            "secret:9M4E2MR0UI3E8A215N4G",
            "secret:not-a-secret-id-at-al",
            "secret://x/9m4e2mr0ui3e8a215n4g",
            "secret:",
        ] {
            assert_eq!(secret_uri_id(bad), None, "{bad}");
        }
        assert!(is_secret_key("abc") && is_secret_key("a-b-c") && is_secret_key("pass1"));
        assert!(!is_secret_key("ab") && !is_secret_key("a--bc") && !is_secret_key("abc-"));
        assert!(!is_secret_key("Abc") && !is_secret_key("1bc"));
    }

    #[test]
    fn secret_keys() {
        for ok in ["abc", "a-bc", "password", "tls-key1", "a1b"] {
            assert!(is_secret_key(ok), "{ok}");
        }
        for bad in ["ab", "Abc", "a--b", "abc-", "-abc", "a_b", "1ab"] {
            assert!(!is_secret_key(bad), "{bad}");
        }
    }

    #[test]
    fn rotate_policies_round_trip() {
        for name in ROTATE_POLICIES {
            assert_eq!(rotate_policy(name).map(rotate_name), Some(*name));
        }
        assert_eq!(rotate_policy("Daily"), None);
        assert_eq!(rotate_policy(""), None);
    }
}
