//! Juju's names: units (`app/N`), applications, relation keys (`endpoint:N`).

/// Split a unit name `app/N` into its application and number.
pub fn parse_unit(unit: &str) -> Result<(&str, u32), String> {
    let err = || format!("invalid unit name {unit:?}");
    let (app, num) = unit.rsplit_once('/').ok_or_else(err)?;
    if !is_app_name(app) || num.is_empty() || (num.len() > 1 && num.starts_with('0')) {
        return Err(err());
    }
    let n = num.parse::<u32>().map_err(|_| err())?;
    Ok((app, n))
}

/// Whether `name` is a valid application name: lower-case letters, digits
/// and single hyphens, starting with a letter, not ending in a hyphen, and
/// no segment made of digits only.
pub fn is_app_name(name: &str) -> bool {
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return false;
    }
    name.split('-').all(|seg| {
        !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && !seg.chars().all(|c| c.is_ascii_digit())
    })
}

/// A secret's bare id: an xid, 20 lower-case letters and digits.
pub fn is_secret_xid(id: &str) -> bool {
    id.len() == 20
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A UUID as Juju writes it: lower-case hex, 8-4-4-4-12.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| {
            p.len() == *n
                && p.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
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

/// The application of a unit name (`app/N` → `app`).
pub fn unit_app(unit: &str) -> Option<&str> {
    parse_unit(unit).ok().map(|(a, _)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_unit("peer-counter/0"), Ok(("peer-counter", 0)));
        assert_eq!(parse_unit("a1/12"), Ok(("a1", 12)));
        assert!(parse_unit("peer-counter").is_err());
        assert!(parse_unit("Peer/0").is_err());
        assert!(parse_unit("app/01").is_err());
        assert!(parse_unit("app/x").is_err());
        assert!(parse_unit("app-/1").is_err());
        assert!(parse_unit("app-1/1").is_err());
    }

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
}
