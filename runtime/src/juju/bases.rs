//! Ubuntu bases as Juju names them (`ubuntu@22.04`) and the series names
//! Juju still gives hooks beside them (`corebase.GetSeriesFromBase`).

/// The Ubuntu releases Juju 3.6 knows, newest last: (channel, series).
const UBUNTU: &[(&str, &str)] = &[
    ("18.04", "bionic"),
    ("20.04", "focal"),
    ("22.04", "jammy"),
    ("23.10", "mantic"),
    ("24.04", "noble"),
    ("24.10", "oracular"),
    ("25.04", "plucky"),
];

/// The series of `base` (`ubuntu@22.04` → `jammy`), or why it is not a
/// base a machine can be upgraded to.
pub fn series_of(base: &str) -> Result<&'static str, String> {
    let Some((name, channel)) = base.split_once('@') else {
        return Err(format!(
            "base {base:?} is not <name>@<channel> (ubuntu@24.04)"
        ));
    };
    if name != "ubuntu" {
        return Err(format!(
            "base {base:?}: only ubuntu machines are upgraded in place"
        ));
    }
    // A risk after the track (`22.04/stable`) names the same series.
    let track = channel.split('/').next().unwrap_or(channel);
    UBUNTU
        .iter()
        .find(|(c, _)| *c == track)
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("base {base:?}: unknown Ubuntu release {track:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_name_their_series() {
        assert_eq!(series_of("ubuntu@22.04"), Ok("jammy"));
        assert_eq!(series_of("ubuntu@24.04/stable"), Ok("noble"));
        assert!(
            series_of("ubuntu@21.04")
                .unwrap_err()
                .contains("unknown Ubuntu release")
        );
        assert!(series_of("centos@7").unwrap_err().contains("only ubuntu"));
        assert!(
            series_of("jammy")
                .unwrap_err()
                .contains("not <name>@<channel>")
        );
    }
}
