//! `charmbox-jujuc`: the hook tools of a native charm. One executable
//! behind every tool name (`relation-get`, `status-set`, …) on the hook's
//! PATH, as Juju's `jujud`/`containeragent` is: it takes the tool from
//! `basename(argv[0])`, sends argv and the working directory to the host
//! over the unix socket in `JUJU_AGENT_SOCKET_ADDRESS` with the hook's
//! `JUJU_CONTEXT_ID`, sends stdin only when the tool asks for it (Juju's
//! second try), prints the host's stdout and stderr, and exits with its
//! code. See docs/native.md.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

use charmbox_wire::mounts::{self, MountPlan};
use charmbox_wire::wire::{MAX_STDIN, ToolRequest, ToolResponse, exchange};
use charmbox_wire::{ENTER_FAILED, HELPER};

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "ERROR {message}");
    ExitCode::from(1)
}

fn env(name: &str) -> Result<String, ExitCode> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(fail(&format!("{name} not set"))),
    }
}

fn connect(address: &str) -> std::io::Result<UnixStream> {
    if let Some(name) = address.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        return UnixStream::connect_addr(&addr);
    }
    UnixStream::connect(address)
}

fn call(address: &str, request: &ToolRequest) -> Result<ToolResponse, String> {
    let mut stream = connect(address).map_err(|e| format!("dial unix {address}: {e}"))?;
    exchange(&mut stream, request).map_err(|e| format!("the unit agent did not answer: {e}"))
}

/// The file at `path`, refused past `limit` bytes.
fn read_bounded(path: &str, limit: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{path} is larger than {limit} bytes"));
    }
    Ok(bytes)
}

/// `charmbox-jujuc enter PLAN`: make the hook's mount namespace and exec
/// the hook (see `charmbox::native::mounts`).
fn enter(plan: &str) -> ExitCode {
    let plan = read_bounded(plan, mounts::MAX_PLAN_BYTES)
        .and_then(|b| serde_json::from_slice::<MountPlan>(&b).map_err(|e| e.to_string()));
    let error = match plan {
        Ok(plan) => mounts::enter(&plan).to_string(),
        Err(e) => e,
    };
    let _ = writeln!(std::io::stderr(), "{ENTER_FAILED}{error}");
    ExitCode::from(126)
}

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let me = args.next().unwrap_or_default();
    let called = std::path::Path::new(&me).file_name().unwrap_or_default();
    if called == HELPER {
        return match (args.next(), args.next()) {
            (Some(verb), Some(plan)) if verb == "enter" => enter(&plan.to_string_lossy()),
            _ => fail(
                "charmbox-jujuc is called by a hook tool's name, or as `charmbox-jujuc enter PLAN`",
            ),
        };
    }
    match run() {
        Ok(code) | Err(code) => code,
    }
}

fn run() -> Result<ExitCode, ExitCode> {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
        .map_err(|_| fail("an argument is not UTF-8"))?;
    let context_id = env("JUJU_CONTEXT_ID")?;
    let address = env("JUJU_AGENT_SOCKET_ADDRESS")?;
    let network = env("JUJU_AGENT_SOCKET_NETWORK")?;
    if network != "unix" {
        return Err(fail(&format!(
            "JUJU_AGENT_SOCKET_NETWORK {network:?}: charmbox's hook tools speak only unix"
        )));
    }
    let dir = std::env::current_dir()
        .map_err(|e| fail(&format!("cannot get the working directory: {e}")))?;
    let mut request = ToolRequest {
        context_id,
        dir: dir.to_string_lossy().into_owned(),
        argv,
        stdin: None,
    };
    let mut response = call(&address, &request).map_err(|m| fail(&m))?;
    if response == ToolResponse::NeedStdin {
        let mut stdin = Vec::new();
        std::io::stdin()
            .take(MAX_STDIN + 1)
            .read_to_end(&mut stdin)
            .map_err(|e| fail(&format!("cannot read stdin: {e}")))?;
        if stdin.len() as u64 > MAX_STDIN {
            return Err(fail(&format!(
                "stdin is larger than {} MiB, the most a hook tool reads",
                MAX_STDIN >> 20
            )));
        }
        request.stdin = Some(stdin);
        response = call(&address, &request).map_err(|m| fail(&m))?;
    }
    match response {
        ToolResponse::Done {
            code,
            stdout,
            stderr,
        } => {
            let _ = std::io::stdout().write_all(&stdout);
            let _ = std::io::stdout().flush();
            let _ = std::io::stderr().write_all(&stderr);
            // Go's os.Exit keeps the low byte.
            Ok(ExitCode::from(code as u8))
        }
        ToolResponse::Refused(m) => Err(fail(&m)),
        ToolResponse::NeedStdin => Err(fail("the unit agent asked for stdin twice")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_past_its_bound_is_refused_unread() {
        let p = std::env::temp_dir().join(format!("charmbox-plan-{}", std::process::id()));
        std::fs::write(&p, [b'x'; 11]).unwrap();
        let path = p.to_str().unwrap();
        assert!(
            read_bounded(path, 10)
                .unwrap_err()
                .contains("larger than 10 bytes")
        );
        assert_eq!(read_bounded(path, 11).unwrap().len(), 11);
        let _ = std::fs::remove_file(&p);
    }
}
