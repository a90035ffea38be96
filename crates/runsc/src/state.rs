//! Container state on disk: one directory per container under `--root`.
//!
//! ```text
//! <root>/<id>/state.json    written by the CLI (create, start, pause, resume), atomically
//! <root>/<id>/exit.json     created empty by the sandbox process; filled when the container's init ended
//! <root>/<id>/sandbox.sock  the sandbox's control socket
//! ```
//!
//! Every command works from this state, so a crashed CLI never strands a
//! sandbox, and a sandbox that died is seen as `stopped`: a container is
//! stopped once exit.json exists or its sandbox process is gone (checked by
//! pid and the process's start time, so a reused pid is not mistaken for
//! it).

use crate::oci::OCI_VERSION;
use anyhow::{bail, Context, Result};
use oci_spec::runtime::Spec;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const STATE_FILE: &str = "state.json";
pub const EXIT_FILE: &str = "exit.json";
pub const SOCKET_FILE: &str = "sandbox.sock";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        };
        f.write_str(s)
    }
}

/// state.json.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    pub id: String,
    /// As last recorded by a command; see [`Container::status`] for the live one.
    pub status: Status,
    /// The sandbox process's host pid.
    pub pid: i32,
    /// Its start time (field 22 of /proc/PID/stat), to tell it from a reused pid.
    pub pid_start_time: u64,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub created: String,
    pub owner: String,
    /// The bundle's config as it was at create (hooks for delete, the process for exec).
    pub spec: Spec,
}

/// exit.json: how the container's init process ended.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExitRecord {
    /// The wait(2) status word.
    pub wait_status: i32,
    /// The code a shell would show: the exit code, or 128 + signal.
    pub exit_code: i32,
}

/// The OCI state, as `runsc state` prints it and hooks read it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OciState {
    pub oci_version: String,
    pub id: String,
    pub pid: i32,
    pub status: Status,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub created: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    pub annotations: HashMap<String, String>,
}

/// One container's directory and state.
#[derive(Clone, Debug)]
pub struct Container {
    pub dir: PathBuf,
    pub saved: Saved,
}

pub fn container_dir(root: &Path, id: &str) -> PathBuf {
    root.join(id)
}

/// Make `--root` (mode 0711, like runc's) and a new directory for `id` in it.
pub fn make_dir(root: &Path, id: &str) -> Result<PathBuf> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o711)
        .create(root)
        .with_context(|| format!("state directory {}", root.display()))?;
    let dir = container_dir(root, id);
    match std::fs::DirBuilder::new().mode(0o711).create(&dir) {
        Ok(()) => Ok(dir),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("container with id {id:?} already exists")
        }
        Err(e) => Err(e).with_context(|| format!("state directory {}", dir.display())),
    }
}

/// Write `data` to `path` so that readers see the old or the new file,
/// never a part: a temporary file in the same directory, then rename.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let r = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

impl Container {
    pub fn load(root: &Path, id: &str) -> Result<Container> {
        crate::oci::validate_id(id)?;
        let dir = container_dir(root, id);
        let path = dir.join(STATE_FILE);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("container {id:?} does not exist")
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let saved: Saved = serde_json::from_slice(&text)
            .with_context(|| format!("{}: corrupt state", path.display()))?;
        Ok(Container { dir, saved })
    }

    pub fn save(&self) -> Result<()> {
        let data = serde_json::to_vec(&self.saved)?;
        let path = self.dir.join(STATE_FILE);
        write_atomic(&path, &data, 0o600).with_context(|| format!("writing {}", path.display()))
    }

    pub fn id(&self) -> &str {
        &self.saved.id
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join(SOCKET_FILE)
    }

    /// How init ended, if the sandbox recorded it.
    pub fn exit(&self) -> Option<ExitRecord> {
        read_exit(&self.dir)
    }

    pub fn sandbox_alive(&self) -> bool {
        process_alive(self.saved.pid, self.saved.pid_start_time)
    }

    /// The status now.
    pub fn status(&self) -> Status {
        if self.saved.status == Status::Stopped || self.exit().is_some() || !self.sandbox_alive() {
            return Status::Stopped;
        }
        self.saved.status
    }

    pub fn oci_state(&self) -> OciState {
        let status = self.status();
        OciState {
            oci_version: OCI_VERSION.into(),
            id: self.saved.id.clone(),
            // As runc: no pid once stopped.
            pid: if status == Status::Stopped {
                0
            } else {
                self.saved.pid
            },
            status,
            bundle: self.saved.bundle.clone(),
            rootfs: self.saved.rootfs.clone(),
            created: self.saved.created.clone(),
            owner: self.saved.owner.clone(),
            annotations: self.saved.spec.annotations().clone().unwrap_or_default(),
        }
    }

    pub fn oci_state_json(&self) -> String {
        serde_json::to_string(&self.oci_state()).unwrap_or_default()
    }
}

pub fn read_exit(dir: &Path) -> Option<ExitRecord> {
    let text = std::fs::read(dir.join(EXIT_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Every container id under `root`, sorted.
pub fn list_ids(root: &Path) -> Result<Vec<String>> {
    let rd = match std::fs::read_dir(root) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", root.display())),
    };
    let mut ids: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join(STATE_FILE).exists())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    ids.sort();
    Ok(ids)
}

/// Field 22 of /proc/PID/stat (start time in clock ticks since boot) and
/// the state letter, if the process exists.
pub fn proc_stat(pid: i32) -> Option<(char, u64)> {
    if pid <= 0 {
        return None;
    }
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let state = fields.first()?.chars().next()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, start))
}

/// Whether process `pid`, started at `start_time`, still runs (a zombie does not).
pub fn process_alive(pid: i32, start_time: u64) -> bool {
    matches!(proc_stat(pid), Some((state, start)) if start == start_time && state != 'Z' && state != 'X')
}

/// The user name of `uid` from /etc/passwd, or "#uid".
pub fn user_name(uid: u32) -> String {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id: u32 = f.nth(1)?.parse().ok()?;
            (id == uid).then(|| name.to_string())
        })
        .next()
        .unwrap_or_else(|| format!("#{uid}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_process_is_alive() {
        let pid = std::process::id() as i32;
        let (state, start) = proc_stat(pid).unwrap();
        assert_ne!(state, 'Z');
        assert!(process_alive(pid, start));
        assert!(!process_alive(pid, start + 1));
        assert!(!process_alive(0, 0));
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = std::env::temp_dir().join(format!("runsc-state-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f.json");
        write_atomic(&p, b"one", 0o600).unwrap();
        write_atomic(&p, b"two", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
