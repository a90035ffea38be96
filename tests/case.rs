//! One differential case: run a command natively, run it again in the sandbox (or natively a
//! second time in native-only mode), and compare stdout and exit status. The native run is
//! the ground truth; a case whose native run misbehaves (wrong status, leftovers in /tmp)
//! fails too, since it would prove nothing about the sandbox.

use std::fs;
use std::path::{Path, PathBuf};

use crate::compile;
use crate::config::Config;
use crate::diff::line_diff;
use crate::process::{self, Outcome};

/// What to execute.
#[derive(Debug, Clone)]
pub enum Program {
    /// A C program under `programs/`, by file stem.
    C(String),
    /// A binary already on the host (e.g. /bin/busybox).
    Host(PathBuf),
}

/// How to treat stderr.
#[derive(Debug, Clone, Copy)]
pub enum Stderr {
    /// Not compared (it carries program names, paths and timings).
    Ignore,
    /// Compared after passing both sides through the filter.
    Compare(fn(&str) -> String),
}

/// Prepares fixtures for a case.
pub type Setup = fn(&Config) -> Result<(), String>;

/// One comparison.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub program: Program,
    pub args: Vec<String>,
    /// Fed to both runs from the same file; /dev/null when absent.
    pub stdin: Option<Vec<u8>>,
    pub stderr: Stderr,
    /// The native run must exit with this status (shell style: 128+N for signal N).
    pub expect_status: Option<i32>,
    /// A host path the command creates: the native run must create it, the sandbox run must
    /// not (writes stay in the sandbox's overlay). Removed before and after each run.
    pub host_path: Option<PathBuf>,
    /// Names in the host's /tmp starting with this prefix must not be left behind by either run.
    pub tmp_prefix: Option<String>,
    /// Runs before the case (fixtures); must be idempotent and safe to call concurrently.
    pub setup: Option<Setup>,
    /// When set, the case is ignored by default with this reason (run with `--ignored`).
    pub ignore_reason: Option<&'static str>,
}

impl Case {
    /// A case with default settings: stderr ignored, native exit status 0 expected.
    pub fn new(name: impl Into<String>, program: Program, args: &[&str]) -> Case {
        Case {
            name: name.into(),
            program,
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: None,
            stderr: Stderr::Ignore,
            expect_status: Some(0),
            host_path: None,
            tmp_prefix: None,
            setup: None,
            ignore_reason: None,
        }
    }

    /// Runs the case; `Err` carries the full failure report.
    pub fn check(&self, cfg: &Config) -> Result<(), String> {
        if let Some(setup) = self.setup {
            setup(cfg).map_err(|e| format!("setup failed: {e}"))?;
        }
        let binary = match &self.program {
            Program::C(name) => compile::compile(&cfg.programs_dir, &cfg.build_dir, name)?,
            Program::Host(path) => {
                if !path.exists() {
                    return Err(format!(
                        "{} is missing (tests/run installs it)",
                        path.display()
                    ));
                }
                path.clone()
            }
        };
        let mut argv = vec![binary.display().to_string()];
        argv.extend(self.args.iter().cloned());
        let stdin = self.write_stdin(cfg)?;
        let stdin = stdin.as_deref();

        let native = self.run_side(cfg, &argv, stdin, Side::Native)?;
        if let Some(want) = self.expect_status {
            if native.status != want {
                return Err(format!(
                    "the native run exited with {} instead of {} (the case is broken, not the sandbox)\n{}",
                    describe_status(native.status),
                    describe_status(want),
                    show_outcome("native", &native)
                ));
            }
        }
        // A case whose native run prints nothing and succeeds would also pass against a
        // sandbox that does nothing at all.
        let observable = !native.stdout.is_empty()
            || native.status != 0
            || self.host_path.is_some()
            || matches!(self.stderr, Stderr::Compare(_));
        if !observable {
            return Err(
                "the native run printed nothing and exited 0: this case cannot fail, \
                        make it print what it did"
                    .to_string(),
            );
        }
        let (side, other) = if cfg.native_only {
            (
                Side::Native,
                self.run_side(cfg, &argv, stdin, Side::Native)?,
            )
        } else {
            if !cfg.runsc.exists() {
                return Err(format!(
                    "runsc not found at {} (build it with `cargo build --release -p runsc`, set RUNSC, \
                     or set RVISOR_NATIVE_ONLY=1 to check the cases alone)",
                    cfg.runsc.display()
                ));
            }
            (
                Side::Sandbox,
                self.run_side(cfg, &cfg.sandbox_argv(&argv), stdin, Side::Sandbox)?,
            )
        };
        self.compare(cfg, &argv, &native, &other, side)
    }

    fn write_stdin(&self, cfg: &Config) -> Result<Option<PathBuf>, String> {
        let Some(bytes) = &self.stdin else {
            return Ok(None);
        };
        let dir = cfg.build_dir.join("stdin");
        fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let path = dir.join(self.name.replace(['/', ':'], "_"));
        fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
        Ok(Some(path))
    }

    /// One run plus the host-side checks that belong to it.
    fn run_side(
        &self,
        cfg: &Config,
        argv: &[String],
        stdin: Option<&Path>,
        side: Side,
    ) -> Result<Outcome, String> {
        if let Some(path) = &self.host_path {
            remove_any(path);
        }
        let before = self.tmp_leftovers();
        let outcome = process::run(argv, Path::new("/"), stdin, cfg.timeout)
            .map_err(|e| format!("{} run: {e}", side.name(cfg)))?;
        if outcome.timed_out {
            return Err(format!(
                "{} run timed out after {:?}: {}\n{}",
                side.name(cfg),
                cfg.timeout,
                shell_line(argv),
                show_outcome(side.name(cfg), &outcome)
            ));
        }
        if let (Side::Sandbox, Some(sig)) = (side, outcome.killed_by) {
            return Err(format!(
                "runsc itself was killed by signal {sig} (an application killed by a signal makes \
                 runsc exit with 128+N instead)\n{}",
                show_outcome("sandbox", &outcome)
            ));
        }
        let after = self.tmp_leftovers();
        let new: Vec<&String> = after.iter().filter(|n| !before.contains(n)).collect();
        if !new.is_empty() {
            for name in &new {
                remove_any(&Path::new("/tmp").join(name));
            }
            let what = match side {
                Side::Native => {
                    "the native run left these behind in /tmp (the program must clean up)"
                }
                Side::Sandbox => {
                    "SANDBOX ESCAPE: the sandboxed run created these in the host's /tmp"
                }
            };
            return Err(format!(
                "{what}: {new:?}\n{}",
                show_outcome(side.name(cfg), &outcome)
            ));
        }
        if let Some(path) = &self.host_path {
            let exists = path.symlink_metadata().is_ok();
            remove_any(path);
            match side {
                Side::Native if !exists => {
                    return Err(format!(
                    "the native run did not create {} (the escape check would prove nothing)\n{}",
                    path.display(),
                    show_outcome("native", &outcome)
                ))
                }
                Side::Sandbox if exists => {
                    return Err(format!(
                        "SANDBOX ESCAPE: {} exists on the host after the sandboxed run\n{}",
                        path.display(),
                        show_outcome("sandbox", &outcome)
                    ))
                }
                _ => {}
            }
        }
        Ok(outcome)
    }

    fn tmp_leftovers(&self) -> Vec<String> {
        let Some(prefix) = &self.tmp_prefix else {
            return Vec::new();
        };
        let Ok(entries) = fs::read_dir("/tmp") else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with(prefix.as_str()))
            .collect()
    }

    fn compare(
        &self,
        cfg: &Config,
        argv: &[String],
        native: &Outcome,
        other: &Outcome,
        side: Side,
    ) -> Result<(), String> {
        let other_name = side.name(cfg);
        let stderr_filtered = match self.stderr {
            Stderr::Ignore => None,
            Stderr::Compare(filter) => Some((
                filter(&String::from_utf8_lossy(&native.stderr)),
                filter(&String::from_utf8_lossy(&other.stderr)),
            )),
        };
        let stdout_same = native.stdout == other.stdout;
        let status_same = native.status == other.status;
        let stderr_same = stderr_filtered.as_ref().is_none_or(|(a, b)| a == b);
        if stdout_same && status_same && stderr_same {
            return Ok(());
        }
        let mut report = format!("native and {other_name} runs differ\n");
        report += &format!("  command: {}\n", shell_line(argv));
        if side == Side::Sandbox {
            report += &format!("  sandbox: {}\n", shell_line(&cfg.sandbox_argv(argv)));
        }
        if self.stdin.is_some() {
            report += "  (stdin fed from a file under target/rvisor-tests/stdin)\n";
        }
        report += &format!(
            "exit status: native {}, {other_name} {}{}\n",
            describe_status(native.status),
            describe_status(other.status),
            if status_same { "" } else { "   <-- differs" }
        );
        if stdout_same {
            report += &format!("stdout: identical ({} bytes)\n", native.stdout.len());
        } else {
            report += &format!("stdout (- native, + {other_name}):\n");
            report += &line_diff(
                &String::from_utf8_lossy(&native.stdout),
                &String::from_utf8_lossy(&other.stdout),
            );
        }
        if let Some((a, b)) = &stderr_filtered {
            if a != b {
                report += &format!("stderr after filtering (- native, + {other_name}):\n");
                report += &line_diff(a, b);
            }
        }
        report += &tail(&format!("{other_name} stderr"), &other.stderr);
        report += &tail("native stderr", &native.stderr);
        Err(report)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Native,
    Sandbox,
}

impl Side {
    fn name(self, cfg: &Config) -> &'static str {
        match self {
            Side::Native => "native",
            Side::Sandbox => cfg.other_side(),
        }
    }
}

fn remove_any(path: &Path) {
    if fs::remove_dir_all(path).is_err() {
        let _ = fs::remove_file(path);
    }
}

/// A command line that can be pasted into a shell to reproduce the run.
pub fn shell_line(argv: &[String]) -> String {
    let quote = |arg: &String| {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_./=:,+-@%".contains(c));
        if plain {
            arg.clone()
        } else {
            format!("'{}'", arg.replace('\'', "'\\''"))
        }
    };
    argv.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// `0`, `42`, or `139 (SIGSEGV)`.
pub fn describe_status(status: i32) -> String {
    let name = match status - 128 {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => return status.to_string(),
    };
    format!("{status} ({name})")
}

fn show_outcome(label: &str, outcome: &Outcome) -> String {
    format!(
        "{label} exit status {} after {:?}\n{}{}",
        describe_status(outcome.status),
        outcome.elapsed,
        tail(&format!("{label} stdout"), &outcome.stdout),
        tail(&format!("{label} stderr"), &outcome.stderr)
    )
}

/// The last lines of a stream, for reports.
fn tail(label: &str, bytes: &[u8]) -> String {
    const LINES: usize = 40;
    if bytes.is_empty() {
        return format!("{label}: (empty)\n");
    }
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    let skip = lines.len().saturating_sub(LINES);
    let mut out = format!(
        "{label}{}:\n",
        if skip > 0 {
            format!(" (last {LINES} lines)")
        } else {
            String::new()
        }
    );
    for line in &lines[skip..] {
        out += &format!("  | {line}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{describe_status, shell_line};

    #[test]
    fn quotes_what_a_shell_would_split() {
        let argv = ["/bin/echo", "a b", "it's", "", "x=1"].map(String::from);
        assert_eq!(shell_line(&argv), r#"/bin/echo 'a b' 'it'\''s' '' x=1"#);
    }

    #[test]
    fn names_signals() {
        assert_eq!(describe_status(139), "139 (SIGSEGV)");
        assert_eq!(describe_status(42), "42");
    }
}
