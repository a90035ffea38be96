//! The command-line side: one request, one answer.

use super::{fdpass, Request, Response};
use std::io::Write;
use std::os::fd::BorrowedFd;
use std::path::Path;

/// Largest answer accepted (a `ps` of many processes fits easily).
const MAX_ANSWER: usize = 64 << 20;

/// How long any request but `wait` may take to be answered.
const ANSWER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug)]
pub enum CallError {
    /// Nobody listens: the sandbox is gone (or not started yet).
    Unreachable(std::io::Error),
    /// The sandbox closed the connection without answering (it exited).
    Closed,
    Io(std::io::Error),
    Protocol(String),
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Unreachable(e) => write!(f, "cannot reach the sandbox: {e}"),
            CallError::Closed => write!(f, "the sandbox exited before answering"),
            CallError::Io(e) => write!(f, "talking to the sandbox: {e}"),
            CallError::Protocol(m) => write!(f, "bad answer from the sandbox: {m}"),
        }
    }
}

impl std::error::Error for CallError {}

/// Send `req` (with `fds`) to the sandbox listening on `socket` and wait for its answer.
pub fn call(socket: &Path, req: &Request, fds: &[BorrowedFd<'_>]) -> Result<Response, CallError> {
    let sock = fdpass::connect(socket).map_err(CallError::Unreachable)?;
    if !matches!(req, Request::Wait { .. }) {
        // Only `wait` may take long; a wedged sandbox must not hang the CLI.
        let _ = sock.set_read_timeout(Some(ANSWER_TIMEOUT));
    }
    let mut line = serde_json::to_vec(req).map_err(|e| CallError::Protocol(e.to_string()))?;
    line.push(b'\n');
    fdpass::send(&sock, &line, fds).map_err(CallError::Io)?;
    let _ = (&sock).flush();
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let mut stray = Vec::new();
    loop {
        let n = match fdpass::recv(&sock, &mut buf, &mut stray) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(CallError::Protocol(format!(
                    "no answer within {}s",
                    ANSWER_TIMEOUT.as_secs()
                )));
            }
            Err(e) => return Err(CallError::Io(e)),
        };
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.ends_with(b"\n") || answer.len() > MAX_ANSWER {
            break;
        }
    }
    if answer.is_empty() {
        return Err(CallError::Closed);
    }
    serde_json::from_slice(&answer).map_err(|e| CallError::Protocol(e.to_string()))
}
