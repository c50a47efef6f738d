//! Juju's names: units (`app/N`), applications, model UUIDs.

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

/// A UUID as Juju writes it: lower-case hex, 8-4-4-4-12.
pub fn is_uuid(s: &str) -> bool {
    // 8-4-4-4-12 lower-case hex digits: the dashes at fixed places.
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
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
    fn uuids() {
        assert!(is_uuid("f47ac10b-58cc-4372-a567-0e02b2c3d479"));
        for bad in [
            "",
            "F47AC10B-58CC-4372-A567-0E02B2C3D479",
            "f47ac10b58cc-4372-a567-0e02b2c3d479-",
            "f47ac10b-58cc-4372-a567-0e02b2c3d47",
            "f47ac10b-58cc-4372-a567-0e02b2c3d4799",
            "f47ac10b-58cc-4372-a567_0e02b2c3d479",
            "g47ac10b-58cc-4372-a567-0e02b2c3d479",
            "f47ac10b-58cc-4372-a567-0e02b2c3d4é",
        ] {
            assert!(!is_uuid(bad), "{bad:?}");
        }
    }
}
