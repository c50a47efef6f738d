//! The hook's process: started in a process group of its own (so the host
//! can end it and everything it started), stdin from /dev/null, stdout and
//! stderr captured up to a bound (the rest is read and dropped, so a flood
//! never blocks the hook nor fills the host's memory).

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a stream said, up to the bound.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// Bytes past the bound, read and dropped.
    pub dropped: u64,
}

/// A running hook.
pub struct Hook {
    pid: i32,
    readers: Vec<JoinHandle<Captured>>,
}

/// How long the readers may go on after the hook ended (a process it left
/// behind may hold the pipes open).
const DRAIN: Duration = Duration::from_millis(500);

fn capture(mut r: impl Read + Send + 'static, limit: usize) -> JoinHandle<Captured> {
    std::thread::spawn(move || {
        let mut out = Captured::default();
        let mut buf = [0u8; 16 << 10];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => return out,
                Ok(n) => {
                    let room = limit.saturating_sub(out.bytes.len());
                    let keep = room.min(n);
                    out.bytes.extend_from_slice(&buf[..keep]);
                    out.dropped += (n - keep) as u64;
                }
            }
        }
    })
}

impl Hook {
    /// Start `cmd` (capturing up to `limit` bytes of each stream); its
    /// exit status is sent to `exited`.
    pub fn start(
        mut cmd: Command,
        limit: usize,
        exited: tokio::sync::oneshot::Sender<ExitStatus>,
    ) -> std::io::Result<Hook> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child: Child = cmd.spawn()?;
        let pid = child.id() as i32;
        let stdout = child.stdout.take().map(|s| capture(s, limit));
        let stderr = child.stderr.take().map(|s| capture(s, limit));
        std::thread::spawn(move || {
            let status = child
                .wait()
                .unwrap_or_else(|_| ExitStatus::from_raw(libc::SIGKILL));
            let _ = exited.send(status);
        });
        Ok(Hook {
            pid,
            readers: stdout.into_iter().chain(stderr).collect(),
        })
    }

    /// SIGKILL the hook's process group (the hook and what it started,
    /// unless it left the group).
    pub fn kill_group(&self) {
        // SAFETY: a plain syscall on a process group we made.
        unsafe {
            libc::kill(-self.pid, libc::SIGKILL);
        }
    }

    /// The captured stdout and stderr, waiting at most [`DRAIN`] for
    /// streams still held open.
    pub fn output(self) -> (Captured, Captured) {
        let deadline = std::time::Instant::now() + DRAIN;
        let mut got = self.readers.into_iter().map(|h| {
            while !h.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if h.is_finished() {
                h.join().unwrap_or_default()
            } else {
                Captured::default()
            }
        });
        let out = got.next().unwrap_or_default();
        let err = got.next().unwrap_or_default();
        (out, err)
    }
}

/// How Go's `os/exec` words a process's end (what Juju reports).
pub fn describe_exit(status: &ExitStatus) -> Option<String> {
    if let Some(code) = status.code() {
        return (code != 0).then(|| format!("exit status {code}"));
    }
    status
        .signal()
        .map(|s| format!("signal: {}", signal_name(s)))
}

/// Go's `syscall.Signal.String()` for the common signals.
fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGHUP => "hangup".into(),
        libc::SIGINT => "interrupt".into(),
        libc::SIGQUIT => "quit".into(),
        libc::SIGILL => "illegal instruction".into(),
        libc::SIGABRT => "aborted".into(),
        libc::SIGBUS => "bus error".into(),
        libc::SIGFPE => "floating point exception".into(),
        libc::SIGKILL => "killed".into(),
        libc::SIGSEGV => "segmentation fault".into(),
        libc::SIGPIPE => "broken pipe".into(),
        libc::SIGALRM => "alarm clock".into(),
        libc::SIGTERM => "terminated".into(),
        other => format!("signal {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exits_read_as_go_words_them() {
        assert_eq!(describe_exit(&ExitStatus::from_raw(0)), None);
        assert_eq!(
            describe_exit(&ExitStatus::from_raw(3 << 8)).unwrap(),
            "exit status 3"
        );
        assert_eq!(
            describe_exit(&ExitStatus::from_raw(libc::SIGKILL)).unwrap(),
            "signal: killed"
        );
        assert_eq!(
            describe_exit(&ExitStatus::from_raw(libc::SIGSEGV)).unwrap(),
            "signal: segmentation fault"
        );
    }
}
