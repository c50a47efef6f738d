//! The report of the worst cases: a child `charmbox` process's peak memory
//! and wall time, printed (never asserted: see docs/security.md).

use std::time::{Duration, Instant};

use crate::common::charmbox_bin;

/// Run `charmbox <args>` as a child; print its peak memory (VmHWM, polled
/// until it exits) and wall time; return its exit code and stderr.
pub fn measured(label: &str, args: &[&str]) -> (i32, String) {
    let t = Instant::now();
    let mut child = std::process::Command::new(charmbox_bin())
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("charmbox runs");
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let code = loop {
        if let Ok(s) = std::fs::read_to_string(&status)
            && let Some(line) = s.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            peak_kib = peak_kib.max(kib);
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st.code().unwrap_or(-1);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let err = reader.join().unwrap();
    println!(
        "{label}: peak host memory {} MiB, {:.2} s, exit {code}",
        peak_kib >> 10,
        t.elapsed().as_secs_f64()
    );
    (code, err)
}
