//! Where runsc's own messages go.
//!
//! - Errors that end a command reach the caller twice, as runc does: on
//!   stderr, and in `--log` (one JSON object per line with
//!   `--log-format json`, which containerd reads back to tell Docker why a
//!   container failed).
//! - `tracing` output (warnings; everything with `--debug`) goes to
//!   `--debug-log` when given, else to stderr — except in the sandbox
//!   process, whose stderr belongs to the container: there it goes to the
//!   debug log or nowhere.

use crate::cli::{Cli, LogFormat};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

static RUNTIME_LOG: OnceLock<Option<Mutex<File>>> = OnceLock::new();
static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Set up logging for one runsc process running `command` (for the
/// sandbox process: "boot") on container `id` (if any).
pub fn init(cli: &Cli, command: &str, id: Option<&str>) {
    let _ = FORMAT.set(cli.log_format);
    let log = cli.log.as_deref().and_then(|p| open_append(p).ok());
    let _ = RUNTIME_LOG.set(log.map(Mutex::new));
    let quiet = matches!(&cli.command, crate::cli::Command::Do(d) if d.quiet);
    let level = if cli.debug {
        tracing::Level::DEBUG
    } else if quiet {
        tracing::Level::ERROR
    } else {
        tracing::Level::WARN
    };
    // The sandbox process has its stderr on the debug log already (see
    // sandbox::boot), one file for tracing and --strace alike.
    let sandbox = command == "boot";
    let debug_file = cli
        .debug_log
        .as_deref()
        .filter(|_| !sandbox)
        .and_then(|pattern| {
            let path = debug_log_path(pattern, command, id);
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            open_append(&path).ok()
        });
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_ansi(false);
    let _ = match debug_file {
        Some(f) => builder.with_writer(Mutex::new(f)).try_init(),
        None if sandbox && cli.debug_log.is_none() => builder.with_writer(std::io::sink).try_init(),
        None => builder.with_writer(std::io::stderr).try_init(),
    };
}

/// The debug log file for `--debug-log PATTERN`.
pub fn debug_log_path(pattern: &str, command: &str, id: Option<&str>) -> PathBuf {
    let stamp = timestamp_compact();
    let mut p = pattern.to_string();
    if p.ends_with('/') {
        p.push_str("runsc.log.%TIMESTAMP%.%COMMAND%.txt");
    }
    let p = p
        .replace("%ID%", id.unwrap_or(""))
        .replace("%COMMAND%", command)
        .replace("%TIMESTAMP%", &stamp);
    PathBuf::from(p)
}

fn open_append(p: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(p)
}

/// Report the error that ends this command: stderr, and `--log`.
pub fn error(msg: &str) {
    // One line, whatever the cause chain looked like.
    let msg = msg.replace('\n', " ");
    eprintln!("runsc: {msg}");
    write_runtime_log("error", &msg);
}

/// A warning for the caller (`--log`, and stderr when no log is set).
pub fn warning(msg: &str) {
    tracing::warn!("{msg}");
    write_runtime_log("warning", msg);
}

fn write_runtime_log(level: &str, msg: &str) {
    let Some(Some(f)) = RUNTIME_LOG.get() else {
        return;
    };
    let time = crate::time::rfc3339_now();
    let line = match FORMAT.get().copied().unwrap_or(LogFormat::Text) {
        LogFormat::Json => {
            serde_json::json!({ "level": level, "msg": msg, "time": time }).to_string()
        }
        LogFormat::Text => format!("time=\"{time}\" level={level} msg={msg:?}"),
    };
    if let Ok(mut f) = f.lock() {
        let _ = writeln!(f, "{line}");
    }
}

fn timestamp_compact() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}{:06}", d.as_secs(), d.subsec_micros())
}
