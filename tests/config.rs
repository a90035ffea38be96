//! Harness configuration, read once from the environment.
//!
//! - `RUNSC`: path to the runsc binary (default `<target>/release/runsc`).
//! - `RVISOR_PLATFORM`: passed as `--platform=VALUE` when set.
//! - `RVISOR_RUNSC_FLAGS`: extra global flags for runsc, split on whitespace (e.g. `--strace`).
//! - `RVISOR_NATIVE_ONLY=1`: run every case twice natively and compare the runs; this checks
//!   that the cases are deterministic without needing a working sandbox.
//! - `RVISOR_TEST_TIMEOUT`: seconds one run may take (default 120).
//! - `CARGO_TARGET_DIR`: where build products live (default `<workspace>/target`).

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything a case needs to know about where things are and how to run them.
#[derive(Debug, Clone)]
pub struct Config {
    /// The workspace root (parent of `tests/`).
    pub workspace: PathBuf,
    /// The C sources (`tests/programs`).
    pub programs_dir: PathBuf,
    /// Compiled programs, fixtures and runsc state (`<target>/rvisor-tests`).
    pub build_dir: PathBuf,
    /// The runsc binary.
    pub runsc: PathBuf,
    /// `--platform=...` value, if any.
    pub platform: Option<String>,
    /// Extra global runsc flags.
    pub runsc_flags: Vec<String>,
    /// Compare native against native instead of native against the sandbox.
    pub native_only: bool,
    /// Time limit for one run of one command.
    pub timeout: Duration,
    /// The busybox binary used for applet cases.
    pub busybox: PathBuf,
}

impl Config {
    /// Reads the configuration from the environment.
    pub fn from_env() -> Config {
        let tests_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let workspace = tests_dir.parent().unwrap_or(tests_dir).to_path_buf();
        let cwd = std::env::current_dir().unwrap_or_else(|_| workspace.clone());
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => absolute(&cwd, Path::new(&dir)),
            None => workspace.join("target"),
        };
        let runsc = match std::env::var_os("RUNSC") {
            Some(path) => absolute(&cwd, Path::new(&path)),
            None => target.join("release").join("runsc"),
        };
        let platform = std::env::var("RVISOR_PLATFORM")
            .ok()
            .filter(|p| !p.is_empty());
        let runsc_flags = std::env::var("RVISOR_RUNSC_FLAGS")
            .map(|f| f.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let native_only = matches!(
            std::env::var("RVISOR_NATIVE_ONLY").as_deref(),
            Ok("1") | Ok("true") | Ok("yes")
        );
        let timeout_secs = std::env::var("RVISOR_TEST_TIMEOUT")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(120);
        Config {
            programs_dir: tests_dir.join("programs"),
            build_dir: target.join("rvisor-tests"),
            workspace,
            runsc,
            platform,
            runsc_flags,
            native_only,
            timeout: Duration::from_secs(timeout_secs),
            busybox: PathBuf::from("/bin/busybox"),
        }
    }

    /// What the second run of each case is called in reports.
    pub fn other_side(&self) -> &'static str {
        if self.native_only {
            "native#2"
        } else {
            "sandbox"
        }
    }

    /// The runsc command line that runs `argv` in a fresh sandbox.
    pub fn sandbox_argv(&self, argv: &[String]) -> Vec<String> {
        let mut cmd = vec![self.runsc.display().to_string()];
        if let Some(platform) = &self.platform {
            cmd.push(format!("--platform={platform}"));
        }
        cmd.extend(self.runsc_flags.iter().cloned());
        cmd.push("do".to_string());
        cmd.push("--quiet".to_string());
        cmd.extend(argv.iter().cloned());
        cmd
    }
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}
