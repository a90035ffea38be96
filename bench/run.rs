//! Runs one command (a runtime prefix plus a program and its arguments),
//! timing it from just before spawn to the moment `wait` returns. Output
//! goes to files, not pipes, so nothing but the process's own exit ends the
//! measurement; a watchdog kills the process group after a timeout.

use std::fs::{self, File};
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What a successful (exit 0) run left behind.
pub struct Outcome {
    pub stdout: String,
    pub wall: Duration,
}

/// Runs processes, reusing two scratch files for their output.
pub struct Runner {
    stdout_path: PathBuf,
    stderr_path: PathBuf,
    timeout: Duration,
}

impl Runner {
    pub fn new(scratch_dir: &Path, timeout: Duration) -> Runner {
        let id = std::process::id();
        Runner {
            stdout_path: scratch_dir.join(format!("run-{id}.stdout")),
            stderr_path: scratch_dir.join(format!("run-{id}.stderr")),
            timeout,
        }
    }

    /// Runs `prefix... program args...`. Err carries a one-line reason:
    /// the first non-empty line of stderr, else how the process ended.
    pub fn run(
        &self,
        prefix: &[String],
        program: &Path,
        args: &[String],
    ) -> Result<Outcome, String> {
        let mut argv: Vec<&std::ffi::OsStr> = prefix.iter().map(|s| s.as_ref()).collect();
        argv.push(program.as_os_str());
        argv.extend(args.iter().map(|s| std::ffi::OsStr::new(s.as_str())));

        let stdout =
            File::create(&self.stdout_path).map_err(|e| scratch_error(&self.stdout_path, e))?;
        let stderr =
            File::create(&self.stderr_path).map_err(|e| scratch_error(&self.stderr_path, e))?;
        let mut cmd = Command::new(argv[0]);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0);

        let start = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", argv[0].to_string_lossy()))?;
        let (status, end, timed_out) = wait_with_timeout(child, self.timeout);
        let wall = end - start;

        let stdout = fs::read_to_string(&self.stdout_path).unwrap_or_default();
        let stderr = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if timed_out {
            return Err(format!("timed out after {} s", self.timeout.as_secs()));
        }
        let status = status.map_err(|e| format!("wait failed: {e}"))?;
        if status.success() {
            return Ok(Outcome { stdout, wall });
        }
        Err(first_line(&stderr).unwrap_or_else(|| describe(status)))
    }

    pub fn cleanup(&self) {
        let _ = fs::remove_file(&self.stdout_path);
        let _ = fs::remove_file(&self.stderr_path);
    }
}

/// Waits on a helper thread so the end instant is taken right as `wait`
/// returns; on timeout kills the child's process group (the child is still
/// unreaped then, so its pid cannot have been reused).
fn wait_with_timeout(
    mut child: std::process::Child,
    timeout: Duration,
) -> (io::Result<ExitStatus>, Instant, bool) {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send((status, Instant::now()));
    });
    let mut timed_out = false;
    let (status, end) = match rx.recv_timeout(timeout) {
        Ok(done) => done,
        Err(_) => {
            timed_out = true;
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
            rx.recv().expect("waiter thread vanished")
        }
    };
    waiter.join().expect("waiter thread panicked");
    (status, end, timed_out)
}

fn scratch_error(path: &Path, e: io::Error) -> String {
    format!("cannot create {}: {e}", path.display())
}

fn first_line(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code} (no stderr)"),
        (None, Some(sig)) => format!("killed by signal {sig} (no stderr)"),
        _ => format!("ended with {status}"),
    }
}

/// The value of the `RESULT <metric> <value> <unit>` line, checking the unit.
pub fn parse_result(stdout: &str, metric: &str, unit: &str) -> Result<f64, String> {
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let ["RESULT", name, value, got_unit] = fields[..] {
            if name != metric {
                continue;
            }
            if got_unit != unit {
                return Err(format!("RESULT {metric}: unit {got_unit}, expected {unit}"));
            }
            return value
                .parse()
                .map_err(|_| format!("RESULT {metric}: bad value {value:?}"));
        }
    }
    Err(match first_line(stdout) {
        Some(l) => format!("no RESULT {metric} line; stdout began: {l}"),
        None => format!("no RESULT {metric} line (empty stdout)"),
    })
}

pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
