//! Command-line flags, named as gVisor names them so scripts carry over.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "runsc", version, about = "rvisor: an application kernel for containers", disable_help_subcommand = true)]
pub struct Cli {
    /// Platform that runs application code.
    #[arg(long, global = true, default_value = "ptrace")]
    pub platform: String,
    /// Print every syscall of the sandboxed program to stderr.
    #[arg(long, global = true)]
    pub strace: bool,
    /// Debug logging.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Network: sandbox, host or none (only none is available yet).
    #[arg(long, global = true, default_value = "sandbox")]
    pub network: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a command in a new sandbox over the host's root filesystem.
    Do(DoArgs),
    /// Help on a topic: `runsc help syscalls` lists every syscall and its support.
    Help { topic: Option<String> },
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
