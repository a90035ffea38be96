//! Runs one command to completion (or to its time limit) and collects what it did.
//!
//! The child gets its own process group so that a hung run can be killed together with
//! anything it started (runsc's sandbox and gofer processes).

use std::fs::File;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Output bytes kept per stream; the rest is drained and dropped.
const OUTPUT_LIMIT: usize = 64 << 20;

/// What one run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Shell-style status: the exit code, or 128+N when killed by signal N.
    pub status: i32,
    /// The signal that killed the process itself, if one did. For a sandboxed run this means
    /// runsc crashed, which is never the application's doing (runsc reports that as 128+N).
    pub killed_by: Option<i32>,
    /// Set when the run hit the time limit and was killed.
    pub timed_out: bool,
    pub elapsed: Duration,
}

/// Runs `argv` in `cwd` with stdin from `stdin` (or /dev/null), killing it after `timeout`.
pub fn run(
    argv: &[String],
    cwd: &Path,
    stdin: Option<&Path>,
    timeout: Duration,
) -> Result<Outcome, String> {
    let (program, args) = argv.split_first().ok_or("empty command line")?;
    let stdin = match stdin {
        Some(path) => Stdio::from(
            File::open(path).map_err(|e| format!("opening stdin file {}: {e}", path.display()))?,
        ),
        None => Stdio::null(),
    };
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let pgid = child.id() as libc::pid_t;
    let (out_tx, out_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let stderr = child.stderr.take().ok_or("no stderr pipe")?;
    thread::spawn(move || out_tx.send(drain(stdout)));
    thread::spawn(move || err_tx.send(drain(stderr)));
    let (status_tx, status_rx) = mpsc::channel();
    thread::spawn(move || status_tx.send(child.wait()));

    let deadline = start + timeout;
    let mut timed_out = false;
    let status = match status_rx.recv_timeout(timeout) {
        Ok(status) => status,
        Err(_) => {
            timed_out = true;
            kill_group(pgid);
            status_rx
                .recv_timeout(Duration::from_secs(10))
                .map_err(|_| format!("{program} did not die after SIGKILL"))?
        }
    }
    .map_err(|e| format!("waiting for {program}: {e}"))?;
    // Something the child started may hold the pipes open after it exits; give it until the
    // deadline, then kill the whole group.
    let grace = deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_secs(1));
    let mut collect = |rx: &mpsc::Receiver<Vec<u8>>| -> Vec<u8> {
        match rx.recv_timeout(grace) {
            Ok(bytes) => bytes,
            Err(_) => {
                timed_out = true;
                kill_group(pgid);
                rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default()
            }
        }
    };
    let stdout = collect(&out_rx);
    let stderr = collect(&err_rx);
    Ok(Outcome {
        stdout,
        stderr,
        status: shell_status(status),
        killed_by: status.signal(),
        timed_out,
        elapsed: start.elapsed(),
    })
}

fn drain(mut pipe: impl Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let room = OUTPUT_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    kept
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: kill(2) takes plain integers; a negative pid names the process group we created.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

/// The status a shell would report: the exit code, or 128+N for death by signal N.
pub fn shell_status(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => -1,
    }
}
