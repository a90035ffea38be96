//! The sandbox process (`runsc boot`): what `create` starts, and how.
//!
//! ```text
//! runsc create ──spawn /proc/self/exe [global flags] boot --config-fd 3 --ready-fd 4 ID──▶ runsc boot
//!     │  fd 3: BootConfig (JSON), then EOF                                               │ isolate()
//!     │  fd 4: one JSON line back — {"result":"ok"} or {"result":"error","message":…}    │ build the kernel
//!     │  stdio: the container's (inherited; given to init at `start`)                    │ bind sandbox.sock
//!     ◀──────────────────────────────── ready ───────────────────────────────────────────┘ serve requests
//! ```
//!
//! The sandbox is PID 1 of a PID namespace of its own (`pidns`) and
//! isolates itself before it builds its kernel (`isolate`).
//!
//! The sandbox runs in a session of its own (setsid), so terminal signals
//! aimed at the caller's process group do not reach it; it outlives
//! `create` and exits, with the container's status, when the container's
//! init ends — whoever waits for the pid written to `--pid-file`
//! (containerd's shim) sees the container's exit status.

pub mod boot;
pub mod caps;
pub mod cgroup;
pub mod emptyroot;
pub mod gofer;
pub mod isolate;
pub mod launch;
pub mod netns;
pub mod pidns;
pub mod preflight;
pub mod seccomp;
pub mod userns;

use crate::cli::LogFormat;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What `create` tells the sandbox process.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootConfig {
    pub id: String,
    /// `<root>/<id>`: the control socket and exit.json go there.
    pub state_dir: PathBuf,
    pub bundle: PathBuf,
    /// The container's root filesystem (absolute).
    pub rootfs: PathBuf,
    pub spec: oci_spec::runtime::Spec,
    pub platform: String,
    pub network: String,
    pub overlay2: String,
    pub strace: bool,
    pub debug: bool,
    pub debug_log: Option<String>,
    pub log_format: LogFormat,
}
