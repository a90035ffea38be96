//! OCI hooks, run as runc runs them: each program with the container's
//! state JSON on its stdin, in the order listed, with its own environment
//! only, and killed when its timeout (seconds) passes. The first failure
//! stops the list.
//!
//! When each list runs (see the commands): prestart, createRuntime and
//! createContainer at the end of `create`; startContainer in `start`
//! before the process starts (in the runtime's namespaces, since the
//! container's are the Sentry's own); poststart after it started;
//! poststop in `delete`.

use anyhow::{anyhow, bail, Context, Result};
use oci_spec::runtime::Hook;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The most of a failing hook's output shown in the error.
const OUTPUT_SHOWN: usize = 512;

pub fn run(which: &str, hooks: Option<&Vec<Hook>>, state_json: &str) -> Result<()> {
    for (i, h) in hooks.into_iter().flatten().enumerate() {
        run_one(h, state_json)
            .with_context(|| format!("{which} hook #{i} ({})", h.path().display()))?;
    }
    Ok(())
}

fn run_one(h: &Hook, state_json: &str) -> Result<()> {
    let mut cmd = Command::new(h.path());
    if let Some(args) = h.args() {
        if let Some((argv0, rest)) = args.split_first() {
            cmd.arg0(argv0).args(rest);
        }
    }
    cmd.env_clear();
    for e in h.env().iter().flatten() {
        if let Some((k, v)) = e.split_once('=') {
            cmd.env(k, v);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| anyhow!("cannot run: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is fine.
        let _ = stdin.write_all(state_json.as_bytes());
    }
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut r| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    })
    .collect();
    let deadline = h
        .timeout()
        .filter(|t| *t > 0)
        .map(|t| Instant::now() + Duration::from_secs(t as u64));
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let _ = child.kill();
            let _ = child.wait();
            bail!("timed out after {}s", h.timeout().unwrap_or(0));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output: Vec<u8> = readers
        .into_iter()
        .flat_map(|r| r.join().unwrap_or_default())
        .collect();
    if !status.success() {
        let text = String::from_utf8_lossy(&output[..output.len().min(OUTPUT_SHOWN)])
            .trim()
            .replace('\n', " ");
        if text.is_empty() {
            bail!("failed: {status}");
        }
        bail!("failed: {status}: {text}");
    }
    Ok(())
}
