use super::*;

fn argv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn set(a: &[&str]) -> BTreeSet<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// Declares and grants these programs, each for at most `timeout`.
fn granted(programs: &[&str], timeout: Duration) -> HostCommands {
    HostCommands::new(set(programs), set(programs), timeout)
}

fn run(h: &HostCommands, a: &[&str], stdin: &[u8]) -> CommandResult {
    h.run(&argv(a), stdin)
}

#[test]
fn a_granted_command_runs_with_its_input_and_exit_code() {
    let h = granted(&["cat", "sh"], DEFAULT_TIMEOUT);
    let out = run(&h, &["cat"], b"hello\n").unwrap();
    assert_eq!((out.exit_code, out.stdout.as_slice()), (0, &b"hello\n"[..]));
    let out = run(&h, &["/bin/sh", "-c", "echo oops >&2; exit 3"], b"").unwrap();
    assert_eq!(out.exit_code, 3);
    assert_eq!(out.stderr, b"oops\n");
    // Killed by a signal: 128 + the signal, as a shell says.
    let out = run(&h, &["sh", "-c", "kill -9 $$"], b"").unwrap();
    assert_eq!(out.exit_code, 137);
}

#[test]
fn declared_but_not_granted_says_how_to_grant_it() {
    let h = HostCommands::none(set(&["apt-get"]));
    match run(&h, &["apt-get", "update"], b"") {
        Err(CommandError::NotGranted(m)) => {
            assert!(m.contains("charmbox pack --grant-command apt-get"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    match run(&h, &["rm", "-rf", "/"], b"") {
        Err(CommandError::NotDeclared(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_program_outside_the_standard_directories_is_not_found() {
    let dir = std::env::temp_dir().join(format!("charmbox-commands-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let h = granted(&["charmbox-no-such-program"], DEFAULT_TIMEOUT);
    match run(&h, &["charmbox-no-such-program"], b"") {
        Err(CommandError::NotFound(m)) => assert!(m.contains("/usr/sbin, /usr/bin"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A file that is not executable is not a program either.
    std::fs::write(dir.join("data"), "not a program").unwrap();
    let h = granted(&["data"], DEFAULT_TIMEOUT).with_program_dirs(vec![dir.clone()]);
    let found = run(&h, &["data"], b"");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(matches!(found, Err(CommandError::NotFound(_))), "{found:?}");
}

#[test]
fn the_environment_is_fixed_and_nothing_of_the_host_leaks() {
    // The test process has HOME, PATH and more: none of it reaches env.
    assert!(std::env::var_os("PATH").is_some());
    let h = granted(&["env"], DEFAULT_TIMEOUT);
    let out = run(&h, &["env"], b"").unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        ["LANG=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    );
}

#[test]
fn a_command_past_its_time_is_killed_and_refused() {
    let h = granted(&["sleep"], Duration::from_millis(200));
    match run(&h, &["sleep", "30"], b"") {
        Err(CommandError::Invalid(m)) => assert!(m.contains("was killed"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn output_past_the_bound_is_refused_and_the_program_is_not_blocked() {
    let h = granted(&["head"], DEFAULT_TIMEOUT);
    let n = (MAX_OUTPUT_BYTES + 1).to_string();
    match run(&h, &["head", "-c", &n, "/dev/zero"], b"") {
        Err(CommandError::Invalid(m)) => assert!(m.contains("bytes to stdout"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Exactly the bound is fine.
    let n = MAX_OUTPUT_BYTES.to_string();
    let out = run(&h, &["head", "-c", &n, "/dev/zero"], b"").unwrap();
    assert_eq!(out.stdout.len(), MAX_OUTPUT_BYTES);
}

#[test]
fn unread_input_and_a_daemon_holding_the_pipes_do_not_hold_the_host() {
    let h = granted(&["true", "sh"], DEFAULT_TIMEOUT);
    let input = vec![b'x'; crate::capability::machine::MAX_STDIN_BYTES];
    assert_eq!(run(&h, &["true"], &input).unwrap().exit_code, 0);
    // The background sleep keeps stdout open after sh exits.
    let out = run(&h, &["sh", "-c", "sleep 30 & echo started"], b"").unwrap();
    assert_eq!(out.stdout, b"started\n");
}
