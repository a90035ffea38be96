//! Command-line flags, named as runc and gVisor name them so that Docker,
//! containerd and scripts carry over.
//!
//! runc's global flags come before the command (`runsc --root R --log F
//! --log-format json create …`, as containerd-shim-runc-v2 calls it);
//! flags only runc has and we do not need (`--criu`, `--rootless`, and
//! `--no-pivot`, `--no-new-keyring`, `--preserve-fds` on create/run/exec)
//! are accepted and ignored so those callers do not break.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "runsc",
    version,
    about = "rvisor: an application kernel for containers",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Directory holding the state of containers.
    #[arg(long, default_value = "/var/run/runsc")]
    pub root: PathBuf,
    /// File for runtime errors and warnings (runc's log; stderr still gets errors).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Format of --log.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Debug logging.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Where debug logs go: a file, or a directory if it ends with '/'.
    /// %ID%, %COMMAND% and %TIMESTAMP% are replaced.
    #[arg(long)]
    pub debug_log: Option<String>,
    /// Use systemd for cgroups (accepted; cgroups are not managed yet).
    #[arg(long)]
    pub systemd_cgroup: bool,
    /// Platform that runs application code.
    #[arg(long, global = true, default_value = "systrap")]
    pub platform: String,
    /// Network: sandbox, host or none (only none is available yet).
    #[arg(long, global = true, default_value = "sandbox")]
    pub network: String,
    /// Overlay over the root filesystem: "root:memory" (writes are kept in
    /// memory) is what the sandbox does today.
    #[arg(long, default_value = "root:memory")]
    pub overlay2: String,
    /// Print every syscall of the sandboxed program (to the debug log for containers).
    #[arg(long, global = true)]
    pub strace: bool,
    /// runc's CRIU path (ignored).
    #[arg(long, hide = true)]
    pub criu: Option<String>,
    /// runc's rootless mode (ignored).
    #[arg(long, hide = true, num_args = 0..=1, default_missing_value = "true")]
    pub rootless: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a command in a new sandbox over the host's root filesystem.
    Do(DoArgs),
    /// Help on a topic: `runsc help syscalls` lists every syscall and its support.
    Help { topic: Option<String> },
    /// Create a container from an OCI bundle; its process starts with `start`.
    Create(CreateArgs),
    /// Start the process of a created container.
    Start(IdArgs),
    /// Print the state of a container as JSON.
    State(IdArgs),
    /// Send a signal to a container's init process (default SIGTERM).
    Kill(KillArgs),
    /// Delete a container and everything it holds.
    Delete(DeleteArgs),
    /// Create and start a container, then wait for it (unless --detach).
    Run(RunArgs),
    /// Run another process in a running container.
    Exec(ExecArgs),
    /// List containers.
    List(ListArgs),
    /// List the processes of a container.
    Ps(PsArgs),
    /// Print a container's resource usage (once with --stats, else every --interval).
    Events(EventsArgs),
    /// Wait for a container's (or one of its processes') exit and print its status.
    Wait(WaitArgs),
    /// Suspend every process of a container.
    Pause(IdArgs),
    /// Resume a paused container.
    Resume(IdArgs),
    /// Write a default config.json for a bundle.
    Spec(SpecArgs),
    /// Print the features this runtime implements, as JSON.
    Features,
    /// Register this runsc as a Docker runtime in /etc/docker/daemon.json.
    Install(InstallArgs),
    /// Remove the runtime `install` added from /etc/docker/daemon.json.
    Uninstall(InstallArgs),
    /// The sandbox process (started by `create`; not for direct use).
    #[command(hide = true)]
    Boot(BootArgs),
    /// The Gofer, serving host files to a sandbox (started by the sandbox; not for direct use).
    #[command(hide = true)]
    Gofer(GoferArgs),
}

#[derive(Args, Debug)]
pub struct DoArgs {
    /// Root directory of the sandbox (read-only; writes go to an in-memory layer).
    #[arg(long, default_value = "/")]
    pub root: String,
    /// Working directory inside the sandbox (default: the current directory).
    #[arg(long)]
    pub cwd: Option<String>,
    /// Print nothing of rvisor's own on success.
    #[arg(long)]
    pub quiet: bool,
    /// The program and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct IdArgs {
    /// The container id.
    pub id: String,
}

/// What `create` and `run` share.
#[derive(Args, Debug, Clone)]
pub struct CreateOpts {
    /// The bundle directory (holding config.json).
    #[arg(long, short = 'b', default_value = ".")]
    pub bundle: PathBuf,
    /// File to write the sandbox process's host pid to.
    #[arg(long)]
    pub pid_file: Option<PathBuf>,
    /// Unix socket to send the pseudo-terminal master to (process.terminal).
    #[arg(long)]
    pub console_socket: Option<PathBuf>,
    /// runc: do not use pivot_root (ignored).
    #[arg(long, hide = true)]
    pub no_pivot: bool,
    /// runc: no new session keyring (ignored).
    #[arg(long, hide = true)]
    pub no_new_keyring: bool,
    /// runc: fds beyond stdio passed to the container (not supported: must be 0).
    #[arg(long, hide = true, default_value_t = 0)]
    pub preserve_fds: u32,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub opts: CreateOpts,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub opts: CreateOpts,
    /// Return once the container has started.
    #[arg(long, short = 'd')]
    pub detach: bool,
    /// Keep the container's state after it exits.
    #[arg(long)]
    pub keep: bool,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Signal every process of the container.
    #[arg(long, short = 'a')]
    pub all: bool,
    /// Signal this process (its pid in the container) instead of init.
    #[arg(long)]
    pub pid: Option<i32>,
    /// The container id.
    pub id: String,
    /// A signal name (TERM, SIGTERM) or number.
    #[arg(default_value = "SIGTERM")]
    pub signal: String,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Kill the container first if it runs; no error if it does not exist.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// JSON file with the OCI process to run (args and the rest).
    #[arg(long, short = 'p')]
    pub process: Option<PathBuf>,
    /// Working directory inside the container.
    #[arg(long)]
    pub cwd: Option<String>,
    /// Environment variable (KEY=VALUE), added to the container's.
    #[arg(long, short = 'e')]
    pub env: Vec<String>,
    /// Give the process a pseudo-terminal.
    #[arg(long, short = 't')]
    pub tty: bool,
    /// User as UID[:GID].
    #[arg(long, short = 'u')]
    pub user: Option<String>,
    /// Additional group ids.
    #[arg(long, short = 'g')]
    pub additional_gids: Vec<u32>,
    /// Capability to add (CAP_NAME).
    #[arg(long, short = 'c')]
    pub cap: Vec<String>,
    /// Set no_new_privileges for the process.
    #[arg(long)]
    pub no_new_privs: bool,
    /// Return once the process has started.
    #[arg(long, short = 'd')]
    pub detach: bool,
    /// File to write the pid of the process watching the exec'd one to.
    #[arg(long)]
    pub pid_file: Option<PathBuf>,
    /// Unix socket to send the pseudo-terminal master to.
    #[arg(long)]
    pub console_socket: Option<PathBuf>,
    /// runc: fds beyond stdio passed to the process (not supported: must be 0).
    #[arg(long, hide = true, default_value_t = 0)]
    pub preserve_fds: u32,
    /// runc: SELinux label (ignored).
    #[arg(long, hide = true)]
    pub process_label: Option<String>,
    /// runc: AppArmor profile (ignored).
    #[arg(long, hide = true)]
    pub apparmor: Option<String>,
    /// runc: exec even if the container is paused (ignored).
    #[arg(long, hide = true)]
    pub ignore_paused: bool,
    /// The container id.
    pub id: String,
    /// The command and its arguments (unless --process).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: Format,
    /// Print only ids.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct PsArgs {
    #[arg(long, short = 'f', value_enum, default_value = "table")]
    pub format: Format,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Print statistics once and exit.
    #[arg(long)]
    pub stats: bool,
    /// How often to print statistics (e.g. 5s, 500ms).
    #[arg(long, default_value = "5s")]
    pub interval: String,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct WaitArgs {
    /// Wait for this process (its pid in the container) instead of init.
    #[arg(long)]
    pub pid: Option<i32>,
    /// Exit with the status instead of printing it (how `exec --detach` watches a process).
    #[arg(long, hide = true)]
    pub exit_with_status: bool,
    /// The process's terminal is this command's stdin: take it as controlling terminal, so
    /// the host's terminal driver sends ^C, ^\, ^Z, resizes and hangups here, and pass them
    /// to the foreground job of the process's terminal in the sandbox (exec --tty).
    #[arg(long, hide = true)]
    pub tty: bool,
    /// The container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct SpecArgs {
    /// Directory to write config.json to (default: the current one).
    #[arg(long, short = 'b')]
    pub bundle: Option<PathBuf>,
    /// runc: a spec for rootless containers (ignored).
    #[arg(long, hide = true)]
    pub rootless: bool,
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// Docker's configuration file.
    #[arg(long, default_value = "/etc/docker/daemon.json")]
    pub config_file: PathBuf,
    /// The runtime's name (`docker run --runtime=NAME`).
    #[arg(long, default_value = "rvisor")]
    pub runtime: String,
    /// Global runsc flags Docker passes on every call (after `--`), e.g. `-- --debug`.
    #[arg(last = true, allow_hyphen_values = true)]
    pub runtime_args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct BootArgs {
    /// Fd to read the sandbox's configuration (JSON) from.
    #[arg(long)]
    pub config_fd: i32,
    /// Fd to report readiness (or the error that prevented it) on.
    #[arg(long)]
    pub ready_fd: i32,
    /// The container id (shown in `ps`).
    pub id: String,
}

#[derive(Args, Debug)]
pub struct GoferArgs {
    /// The inherited SOCK_SEQPACKET socket to serve 9P2000.L on.
    #[arg(long)]
    pub sock_fd: i32,
    /// A tree to serve, as NAME:ro:PATH or NAME:rw:PATH (repeatable).
    #[arg(long = "mount", required = true)]
    pub mounts: Vec<String>,
    /// Serve without namespaces, pivot_root and seccomp (debugging only).
    #[arg(long)]
    pub unconfined: bool,
}
