//! The control protocol between runsc's commands and the sandbox process.
//!
//! One request per connection on `<root>/<id>/sandbox.sock` (a unix
//! stream socket): the client sends one JSON object and a newline — with
//! fds attached (SCM_RIGHTS) to the first byte when the request carries
//! some — and reads one JSON object back. A request that waits (`wait`)
//! holds its connection until it is answered; if the sandbox exits
//! meanwhile the client sees EOF and falls back to the state directory
//! (exit.json).
//!
//! | request | fds | answer |
//! |---|---|---|
//! | `start` | — | `pid` (of init, in the sandbox) |
//! | `exec` {process} | stdin, stdout, stderr | `pid` |
//! | `signal` {signal, target: init/all/{pid}} | — | `ok` |
//! | `wait` {pid: null = init} | — | `exited` {waitStatus, exitCode} |
//! | `ps` | — | `processes` |
//! | `stats` | — | `stats` |
//! | `pause`, `resume` | — | `ok` |
//! | `shutdown` | — | `ok` (then the sandbox exits) |
//!
//! Any request may be answered `error` {message}.

pub mod client;
pub mod fdpass;
pub mod server;

use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    Start,
    Exec {
        process: Box<oci_spec::runtime::Process>,
    },
    Signal {
        signal: i32,
        target: SignalTarget,
    },
    Wait {
        pid: Option<i32>,
    },
    Ps,
    Stats,
    Pause,
    Resume,
    Shutdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalTarget {
    Init,
    All,
    Pid(i32),
    /// The foreground group of the terminal of process N's session (N itself without one).
    Terminal(i32),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    Ok,
    Pid { pid: i32 },
    Exited(crate::state::ExitRecord),
    Processes { processes: Vec<Process> },
    Stats { stats: Stats },
    Error { message: String },
}

/// One process of the sandbox (`runsc ps`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    pub uid: u32,
    pub comm: String,
    pub state: String,
    pub threads: usize,
    pub cmdline: Vec<String>,
    /// Start, in nanoseconds since the sandbox booted.
    pub start_ns: u64,
    pub cpu_ns: u64,
}

/// Resource usage of the sandbox (`runsc events --stats`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Stats {
    pub memory_bytes: u64,
    pub tasks: u64,
    pub processes: u64,
    pub cpu_user_ns: u64,
    pub cpu_system_ns: u64,
}
