//! `apt-get` (and `apt`) on the simulated machine: update, install,
//! remove, purge, upgrade, with apt's exit codes (100 for errors) and the
//! shape of its non-interactive output. Installing a package enables and
//! starts its services, as Debian's maintainer scripts do; a service that
//! fails to start fails the package's configuration and apt-get with it.

use std::fmt::Write;

use super::{Ran, systemctl};
use crate::state::machine::{ActiveState, MachineState, Service};

const READING: &str =
    "Reading package lists...\nBuilding dependency tree...\nReading state information...\n";

/// `apt`: `apt-get` with the warning apt prints when not on a terminal.
pub fn apt(machine: &mut MachineState, args: &[String]) -> Ran {
    let mut ran = apt_get(machine, args);
    ran.stderr.insert_str(
        0,
        "\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n",
    );
    ran
}

/// The options taken (and otherwise ignored); `-o`/`--option` take a value.
fn parse(args: &[String]) -> Result<(bool, Vec<&str>), Ran> {
    let mut yes = false;
    let mut words = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-y" | "--yes" | "--assume-yes" | "-qy" | "-yq" => yes = true,
            "-o" | "--option" | "-c" | "--config-file" | "-t" | "--target-release" => {
                it.next();
            }
            "-q"
            | "-qq"
            | "--quiet"
            | "--no-install-recommends"
            | "--install-recommends"
            | "-f"
            | "--fix-broken"
            | "--reinstall"
            | "--allow-downgrades"
            | "--allow-change-held-packages"
            | "--no-upgrade"
            | "--only-upgrade"
            | "--purge"
            | "-m"
            | "--fix-missing" => {}
            o if o.starts_with("-o") || o.starts_with("--option=") => {}
            o if o.starts_with('-') => {
                return Err(Ran::fail(
                    100,
                    format!(
                        "E: Command line option '{}' [from {o}] is not understood in \
                         combination with the other options.\n",
                        o.trim_start_matches('-')
                    ),
                ));
            }
            w => words.push(w),
        }
    }
    Ok((yes, words))
}

/// `apt-get <operation> ...`.
pub fn apt_get(machine: &mut MachineState, args: &[String]) -> Ran {
    let (yes, words) = match parse(args) {
        Ok(p) => p,
        Err(ran) => return ran,
    };
    let Some((op, names)) = words.split_first() else {
        return Ran::fail(100, "E: No operation specified\n".into());
    };
    match *op {
        "update" => Ran::ok("Reading package lists...\n".into()),
        "clean" | "autoclean" | "autoremove" | "check" => Ran::ok(READING.into()),
        "install" => install(machine, names),
        "remove" => remove(machine, names, yes, false),
        "purge" => remove(machine, names, yes, true),
        "upgrade" | "dist-upgrade" | "full-upgrade" => {
            let upgradable: Vec<String> = machine
                .packages
                .iter()
                .filter(|(n, v)| machine.available.get(*n).is_some_and(|p| &p.version != *v))
                .map(|(n, _)| n.clone())
                .collect();
            let names: Vec<&str> = upgradable.iter().map(String::as_str).collect();
            install(machine, &names)
        }
        other => Ran::fail(100, format!("E: Invalid operation {other}\n")),
    }
}

fn install(machine: &mut MachineState, names: &[&str]) -> Ran {
    let mut stdout = READING.to_string();
    // Every name is resolved before anything is installed: apt refuses
    // the whole command for one unknown package.
    let mut chosen = Vec::new();
    for spec in names {
        let (name, version) = spec.split_once('=').unwrap_or((spec, ""));
        let Some(pkg) = machine.available.get(name) else {
            return Ran {
                code: 100,
                stdout,
                stderr: format!("E: Unable to locate package {name}\n"),
            };
        };
        if !version.is_empty() && version != pkg.version {
            return Ran {
                code: 100,
                stdout,
                stderr: format!("E: Version '{version}' for '{name}' was not found\n"),
            };
        }
        chosen.push((name.to_string(), pkg.clone()));
    }
    let mut new = Vec::new();
    let mut upgraded = Vec::new();
    for (name, pkg) in &chosen {
        match machine.packages.get(name) {
            Some(v) if *v == pkg.version => {
                let _ = writeln!(stdout, "{name} is already the newest version ({v}).");
            }
            Some(_) => upgraded.push((name, pkg)),
            None => new.push((name, pkg)),
        }
    }
    if !new.is_empty() {
        stdout.push_str("The following NEW packages will be installed:\n");
        list(&mut stdout, new.iter().map(|(n, _)| n.as_str()));
    }
    if !upgraded.is_empty() {
        stdout.push_str("The following packages will be upgraded:\n");
        list(&mut stdout, upgraded.iter().map(|(n, _)| n.as_str()));
    }
    let _ = writeln!(
        stdout,
        "{} upgraded, {} newly installed, 0 to remove and 0 not upgraded.",
        upgraded.len(),
        new.len()
    );
    let mut failed = Vec::new();
    let mut stderr = String::new();
    for (name, pkg) in new.iter().chain(&upgraded) {
        let _ = writeln!(stdout, "Setting up {name} ({}) ...", pkg.version);
        machine
            .packages
            .insert(name.to_string(), pkg.version.clone());
        for svc in &pkg.services {
            let s = machine.services.entry(svc.clone()).or_insert(Service {
                enabled: true,
                active: ActiveState::Inactive,
            });
            if let Err(why) = systemctl::start_unit(&mut machine.failing_services, s, svc) {
                stderr.push_str(&why);
                let _ = write!(
                    stderr,
                    "dpkg: error processing package {name} (--configure):\n installed {name} \
                     package post-installation script subprocess returned error exit status 1\n"
                );
                failed.push(name.to_string());
                break;
            }
        }
    }
    if failed.is_empty() {
        return Ran {
            code: 0,
            stdout,
            stderr,
        };
    }
    stderr.push_str("Errors were encountered while processing:\n");
    for name in &failed {
        let _ = writeln!(stderr, " {name}");
    }
    stderr.push_str("E: Sub-process /usr/bin/dpkg returned an error code (1)\n");
    Ran {
        code: 100,
        stdout,
        stderr,
    }
}

fn remove(machine: &mut MachineState, names: &[&str], yes: bool, purge: bool) -> Ran {
    let mut stdout = READING.to_string();
    let mut gone = Vec::new();
    for name in names {
        if machine.packages.contains_key(*name) {
            gone.push(name.to_string());
        } else if machine.available.contains_key(*name) {
            let _ = writeln!(stdout, "Package '{name}' is not installed, so not removed");
        } else {
            return Ran {
                code: 100,
                stdout,
                stderr: format!("E: Unable to locate package {name}\n"),
            };
        }
    }
    if !gone.is_empty() {
        stdout.push_str("The following packages will be REMOVED:\n");
        let marked: Vec<String> = gone
            .iter()
            .map(|n| if purge { format!("{n}*") } else { n.clone() })
            .collect();
        list(&mut stdout, marked.iter().map(String::as_str));
    }
    let _ = writeln!(
        stdout,
        "0 upgraded, 0 newly installed, {} to remove and 0 not upgraded.",
        gone.len()
    );
    if !gone.is_empty() && !yes {
        // Not on a terminal, apt-get reads the answer from its input:
        // the charm's (empty) standard input aborts.
        stdout.push_str("Do you want to continue? [Y/n] Abort.\n");
        return Ran {
            code: 1,
            stdout,
            stderr: String::new(),
        };
    }
    for name in &gone {
        let _ = writeln!(stdout, "Removing {name} ({}) ...", machine.packages[name]);
        machine.packages.remove(name);
        let services = machine
            .available
            .get(name)
            .map(|p| p.services.clone())
            .unwrap_or_default();
        for svc in services {
            machine.services.remove(&svc);
        }
    }
    Ran::ok(stdout)
}

fn list<'a>(out: &mut String, names: impl Iterator<Item = &'a str>) {
    let names: Vec<&str> = names.collect();
    let _ = writeln!(out, "  {}", names.join(" "));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::argv;
    use crate::state::machine::Package;

    fn machine() -> MachineState {
        let mut m = MachineState::default();
        m.available.insert(
            "openssh-server".into(),
            Package {
                version: "1:9.6p1-3ubuntu13".into(),
                services: vec!["ssh".into()],
            },
        );
        m
    }

    #[test]
    fn installing_a_package_installs_it_and_starts_its_services() {
        let mut m = machine();
        let r = apt_get(&mut m, &argv(&["install", "-y", "openssh-server"]));
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stdout
                .contains("The following NEW packages will be installed:\n  openssh-server\n")
        );
        assert!(
            r.stdout
                .contains("0 upgraded, 1 newly installed, 0 to remove")
        );
        assert_eq!(m.packages["openssh-server"], "1:9.6p1-3ubuntu13");
        assert_eq!(m.services["ssh"].active, ActiveState::Active);
        assert!(m.services["ssh"].enabled);
        // Again: nothing to do.
        let r = apt_get(&mut m, &argv(&["install", "-y", "openssh-server"]));
        assert!(
            r.stdout
                .contains("openssh-server is already the newest version (1:9.6p1-3ubuntu13).")
        );
    }

    #[test]
    fn an_unknown_package_fails_the_whole_install_with_exit_100() {
        let mut m = machine();
        let r = apt_get(&mut m, &argv(&["install", "-y", "openssh-server", "nope"]));
        assert_eq!(r.code, 100);
        assert_eq!(r.stderr, "E: Unable to locate package nope\n");
        assert!(m.packages.is_empty());
        let r = apt_get(&mut m, &argv(&["install", "-y", "openssh-server=1.0"]));
        assert_eq!(
            r.stderr,
            "E: Version '1.0' for 'openssh-server' was not found\n"
        );
        let r = apt_get(&mut m, &argv(&["frobnicate"]));
        assert_eq!(
            (r.code, r.stderr.as_str()),
            (100, "E: Invalid operation frobnicate\n")
        );
        let r = apt_get(&mut m, &argv(&["install", "--bogus", "x"]));
        assert_eq!(r.code, 100);
        assert!(
            r.stderr
                .contains("'bogus' [from --bogus] is not understood"),
            "{r:?}"
        );
    }

    #[test]
    fn a_service_that_fails_to_start_fails_the_configuration_with_exit_100() {
        let mut m = machine();
        m.failing_services.insert("ssh".into());
        let r = apt_get(&mut m, &argv(&["install", "-y", "openssh-server"]));
        assert_eq!(r.code, 100, "{r:?}");
        assert!(
            r.stderr.contains("Job for ssh.service failed"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr
                .ends_with("E: Sub-process /usr/bin/dpkg returned an error code (1)\n")
        );
        assert_eq!(m.services["ssh"].active, ActiveState::Failed);
    }

    #[test]
    fn removal_asks_first_and_aborts_without_yes() {
        let mut m = machine();
        apt_get(&mut m, &argv(&["install", "-y", "openssh-server"]));
        let r = apt_get(&mut m, &argv(&["remove", "openssh-server"]));
        assert_eq!(r.code, 1);
        assert!(
            r.stdout
                .ends_with("Do you want to continue? [Y/n] Abort.\n")
        );
        assert!(m.packages.contains_key("openssh-server"));
        let r = apt(&mut m, &argv(&["purge", "-y", "openssh-server"]));
        assert_eq!(r.code, 0, "{r:?}");
        assert!(
            r.stderr
                .contains("WARNING: apt does not have a stable CLI interface")
        );
        assert!(m.packages.is_empty() && m.services.is_empty());
        let r = apt_get(&mut m, &argv(&["remove", "-y", "openssh-server"]));
        assert!(
            r.stdout
                .contains("Package 'openssh-server' is not installed, so not removed")
        );
    }

    #[test]
    fn upgrade_installs_newer_versions_the_sources_offer() {
        let mut m = machine();
        apt_get(&mut m, &argv(&["install", "-y", "openssh-server"]));
        m.available.get_mut("openssh-server").unwrap().version = "1:9.7".into();
        let r = apt_get(&mut m, &argv(&["upgrade", "-y"]));
        assert!(r.stdout.contains("1 upgraded, 0 newly installed"), "{r:?}");
        assert_eq!(m.packages["openssh-server"], "1:9.7");
    }
}
