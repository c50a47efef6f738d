//! The hook-tool protocol between `charmbox-jujuc` (the multi-call tool
//! executable on a native hook's PATH) and the host, over a unix socket.
//!
//! Juju's client speaks Go's `net/rpc` to the unit agent with a request of
//! context id, working directory, command name, arguments and (on a second
//! try, when the tool asked for it) stdin; the reply is the exit code,
//! stdout and stderr. This is the same exchange in length-prefixed frames:
//!
//! ```text
//! request  = "CBJ1" field(context-id) field(dir) u32(argc) field(arg)*argc
//!            u8(stdin-set) [field(stdin)]
//! response = u8(0) i32(code) field(stdout) field(stderr)   -- the tool ran
//!          | u8(1)                                         -- send stdin and ask again
//!          | u8(2) field(message)                          -- refused: "ERROR message", exit 1
//! field    = u32(length) bytes                             -- little-endian
//! ```
//!
//! Every length is checked against a bound before anything is allocated.

use std::io::{self, Read, Write};

/// The first bytes of a request.
pub const MAGIC: &[u8; 4] = b"CBJ1";
/// At most this many arguments.
pub const MAX_ARGS: u32 = 4096;
/// At most this many bytes of arguments, context id and directory together
/// (Linux's own argument limit is 2 MiB).
pub const MAX_ARG_BYTES: u64 = 2 << 20;
/// At most this much stdin: the largest file a tool reads.
pub const MAX_STDIN: u64 = 16 << 20;
/// At most this much output in one reply.
pub const MAX_OUTPUT: u64 = 64 << 20;

/// One tool invocation, as the client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRequest {
    /// `JUJU_CONTEXT_ID`: the hook's credential.
    pub context_id: String,
    /// The caller's working directory (absolute).
    pub dir: String,
    /// argv, `argv[0]` naming the tool.
    pub argv: Vec<String>,
    /// The caller's stdin, when the tool asked for it.
    pub stdin: Option<Vec<u8>>,
}

/// The host's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolResponse {
    /// The tool ran: its exit code and output.
    Done {
        code: i32,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
    /// The tool reads stdin: send it and ask again.
    NeedStdin,
    /// The request was refused before the tool ran (Juju's RPC error).
    Refused(String),
}

/// A malformed or oversized frame.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("not a charmbox hook-tool request (bad magic)")]
    Magic,
    #[error("{what} is {len} bytes, more than the {max} allowed")]
    TooLong {
        what: &'static str,
        len: u64,
        max: u64,
    },
    #[error("{0} is not UTF-8")]
    NotUtf8(&'static str),
    #[error("unknown response kind {0}")]
    Kind(u8),
}

fn put(w: &mut Vec<u8>, bytes: &[u8]) {
    w.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    w.extend_from_slice(bytes);
}

fn u32_of(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn u8_of(r: &mut impl Read) -> io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    Ok(b[0])
}

/// A field of at most `max` bytes (`budget`, when given, is charged too).
fn field(
    r: &mut impl Read,
    what: &'static str,
    max: u64,
    budget: Option<&mut u64>,
) -> Result<Vec<u8>, WireError> {
    let len = u64::from(u32_of(r)?);
    let max = budget.as_ref().map_or(max, |b| max.min(**b));
    if len > max {
        return Err(WireError::TooLong { what, len, max });
    }
    if let Some(b) = budget {
        *b -= len;
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn text(bytes: Vec<u8>, what: &'static str) -> Result<String, WireError> {
    String::from_utf8(bytes).map_err(|_| WireError::NotUtf8(what))
}

impl ToolRequest {
    /// The request's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Vec::with_capacity(64);
        w.extend_from_slice(MAGIC);
        put(&mut w, self.context_id.as_bytes());
        put(&mut w, self.dir.as_bytes());
        w.extend_from_slice(&(self.argv.len() as u32).to_le_bytes());
        for a in &self.argv {
            put(&mut w, a.as_bytes());
        }
        match &self.stdin {
            Some(s) => {
                w.push(1);
                put(&mut w, s);
            }
            None => w.push(0),
        }
        w
    }

    /// Read a request, checking every bound before allocating.
    pub fn decode(r: &mut impl Read) -> Result<ToolRequest, WireError> {
        let mut magic = [0u8; 4];
        r.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(WireError::Magic);
        }
        let mut budget = MAX_ARG_BYTES;
        let context_id = text(
            field(r, "the context id", MAX_ARG_BYTES, Some(&mut budget))?,
            "the context id",
        )?;
        let dir = text(
            field(r, "the directory", MAX_ARG_BYTES, Some(&mut budget))?,
            "the directory",
        )?;
        let argc = u32_of(r)?;
        if argc > MAX_ARGS {
            return Err(WireError::TooLong {
                what: "the argument list",
                len: argc.into(),
                max: MAX_ARGS.into(),
            });
        }
        let mut argv = Vec::with_capacity(argc as usize);
        for _ in 0..argc {
            let a = field(r, "the arguments", MAX_ARG_BYTES, Some(&mut budget))?;
            argv.push(text(a, "an argument")?);
        }
        let stdin = match u8_of(r)? {
            0 => None,
            _ => Some(field(r, "stdin", MAX_STDIN, None)?),
        };
        Ok(ToolRequest {
            context_id,
            dir,
            argv,
            stdin,
        })
    }
}

impl ToolResponse {
    /// The response's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Vec::new();
        match self {
            ToolResponse::Done {
                code,
                stdout,
                stderr,
            } => {
                w.push(0);
                w.extend_from_slice(&code.to_le_bytes());
                put(&mut w, stdout);
                put(&mut w, stderr);
            }
            ToolResponse::NeedStdin => w.push(1),
            ToolResponse::Refused(m) => {
                w.push(2);
                put(&mut w, m.as_bytes());
            }
        }
        w
    }

    /// Read a response (outputs of at most [`MAX_OUTPUT`] bytes).
    pub fn decode(r: &mut impl Read) -> Result<ToolResponse, WireError> {
        match u8_of(r)? {
            0 => {
                let mut b = [0u8; 4];
                r.read_exact(&mut b)?;
                let code = i32::from_le_bytes(b);
                let stdout = field(r, "stdout", MAX_OUTPUT, None)?;
                let stderr = field(r, "stderr", MAX_OUTPUT, None)?;
                Ok(ToolResponse::Done {
                    code,
                    stdout,
                    stderr,
                })
            }
            1 => Ok(ToolResponse::NeedStdin),
            2 => Ok(ToolResponse::Refused(text(
                field(r, "the message", MAX_ARG_BYTES, None)?,
                "the message",
            )?)),
            k => Err(WireError::Kind(k)),
        }
    }
}

/// Send `request` on `stream` and read the answer.
pub fn exchange<S: Read + Write>(
    stream: &mut S,
    request: &ToolRequest,
) -> Result<ToolResponse, WireError> {
    stream.write_all(&request.encode())?;
    stream.flush()?;
    ToolResponse::decode(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> ToolRequest {
        ToolRequest {
            context_id: "u-0-install-ab".into(),
            dir: "/charm".into(),
            argv: vec!["relation-set".into(), "--file".into(), "-".into()],
            stdin: Some(b"a: b\n".to_vec()),
        }
    }

    #[test]
    fn requests_and_responses_round_trip() {
        for r in [
            req(),
            ToolRequest {
                stdin: None,
                ..req()
            },
        ] {
            let bytes = r.encode();
            assert_eq!(ToolRequest::decode(&mut bytes.as_slice()).unwrap(), r);
        }
        for r in [
            ToolResponse::Done {
                code: -3,
                stdout: b"out".to_vec(),
                stderr: Vec::new(),
            },
            ToolResponse::NeedStdin,
            ToolResponse::Refused("bad request: wrong context ID".into()),
        ] {
            let bytes = r.encode();
            assert_eq!(ToolResponse::decode(&mut bytes.as_slice()).unwrap(), r);
        }
    }

    #[test]
    fn hostile_frames_are_refused_before_allocating() {
        // An argument claiming 4 GiB.
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        let e = ToolRequest::decode(&mut b.as_slice()).unwrap_err();
        assert!(
            matches!(
                e,
                WireError::TooLong {
                    what: "the arguments",
                    ..
                }
            ),
            "{e}"
        );
        // Too many arguments.
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(MAX_ARGS + 1).to_le_bytes());
        assert!(matches!(
            ToolRequest::decode(&mut b.as_slice()),
            Err(WireError::TooLong {
                what: "the argument list",
                ..
            })
        ));
        // Many arguments whose total passes the budget.
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&3u32.to_le_bytes());
        for _ in 0..3 {
            let len = (MAX_ARG_BYTES / 2) as u32;
            b.extend_from_slice(&len.to_le_bytes());
            b.extend(std::iter::repeat_n(b'a', len as usize));
        }
        assert!(matches!(
            ToolRequest::decode(&mut b.as_slice()),
            Err(WireError::TooLong { .. })
        ));
        // Wrong magic, truncation, bad UTF-8.
        assert!(matches!(
            ToolRequest::decode(&mut &b"GET / HTTP/1.1"[..]),
            Err(WireError::Magic)
        ));
        let full = req().encode();
        assert!(matches!(
            ToolRequest::decode(&mut &full[..full.len() - 1]),
            Err(WireError::Io(_))
        ));
        let mut bad = MAGIC.to_vec();
        bad.extend_from_slice(&1u32.to_le_bytes());
        bad.push(0xff);
        assert!(matches!(
            ToolRequest::decode(&mut bad.as_slice()),
            Err(WireError::NotUtf8(_))
        ));
        assert!(matches!(
            ToolResponse::decode(&mut &[9u8][..]),
            Err(WireError::Kind(9))
        ));
    }
}
