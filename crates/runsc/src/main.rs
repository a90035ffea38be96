//! `runsc`: rvisor's runtime binary.
//!
//! - the OCI runtime commands with runc's command line (`create`, `start`,
//!   `state`, `kill`, `delete`, `run`, `exec`, `list`, `ps`, `events`,
//!   `wait`, `pause`, `resume`, `spec`, `features`): `commands/`;
//! - the sandbox process they start (`boot`, hidden): `sandbox/`, serving
//!   the control protocol of `control/`;
//! - `runsc do` (a command in a throwaway sandbox over the host root, run
//!   in this process) and `runsc help syscalls`;
//! - `runsc install` / `uninstall`: the runtime in Docker's daemon.json.
//!
//! Errors end a command with one line on stderr (and in `--log`), exit
//! status 1 — as runc.

mod cli;
mod commands;
mod control;
mod do_cmd;
mod gofer_cmd;
mod hostsig;
mod logging;
mod oci;
mod sandbox;
mod state;
mod time;
mod tty;

use clap::Parser;
use cli::Command;

fn main() {
    let args = cli::Cli::parse();
    let (name, id) = command_name(&args.command);
    if !matches!(args.command, Command::Boot(_)) {
        // The sandbox sets its logging up once its stdio is safe.
        logging::init(&args, name, id);
    }
    let result = match &args.command {
        Command::Do(d) => Ok(do_cmd::run(&args, d)),
        Command::Help { topic } => Ok(help(topic.as_deref())),
        Command::Boot(b) => Ok(sandbox::boot::main(&args, b)),
        Command::Gofer(g) => Ok(gofer_cmd::run(g)),
        Command::Create(a) => commands::create::run(&args, a),
        Command::Start(a) => commands::start::run(&args, a),
        Command::State(a) => commands::state::run(&args, a),
        Command::Kill(a) => commands::kill::run(&args, a),
        Command::Delete(a) => commands::delete::run(&args, a),
        Command::Run(a) => commands::run::run(&args, a),
        Command::Exec(a) => commands::exec::run(&args, a),
        Command::List(a) => commands::list::run(&args, a),
        Command::Ps(a) => commands::ps::run(&args, a),
        Command::Events(a) => commands::events::run(&args, a),
        Command::Wait(a) => commands::wait::run(&args, a),
        Command::Pause(a) => commands::pause::pause(&args, a),
        Command::Resume(a) => commands::pause::resume(&args, a),
        Command::Spec(a) => commands::spec::run(&args, a),
        Command::Features => commands::spec::features(),
        Command::Install(a) => commands::install::install(&args, a),
        Command::Uninstall(a) => commands::install::uninstall(&args, a),
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            logging::error(&format!("{e:#}"));
            1
        }
    };
    std::process::exit(code);
}

/// The command's name (for --debug-log's %COMMAND%) and container id.
fn command_name(c: &Command) -> (&'static str, Option<&str>) {
    match c {
        Command::Do(_) => ("do", None),
        Command::Help { .. } => ("help", None),
        Command::Boot(a) => ("boot", Some(&a.id)),
        Command::Gofer(_) => ("gofer", None),
        Command::Create(a) => ("create", Some(&a.id)),
        Command::Start(a) => ("start", Some(&a.id)),
        Command::State(a) => ("state", Some(&a.id)),
        Command::Kill(a) => ("kill", Some(&a.id)),
        Command::Delete(a) => ("delete", Some(&a.id)),
        Command::Run(a) => ("run", Some(&a.id)),
        Command::Exec(a) => ("exec", Some(&a.id)),
        Command::List(_) => ("list", None),
        Command::Ps(a) => ("ps", Some(&a.id)),
        Command::Events(a) => ("events", Some(&a.id)),
        Command::Wait(a) => ("wait", Some(&a.id)),
        Command::Pause(a) => ("pause", Some(&a.id)),
        Command::Resume(a) => ("resume", Some(&a.id)),
        Command::Spec(_) => ("spec", None),
        Command::Features => ("features", None),
        Command::Install(_) => ("install", None),
        Command::Uninstall(_) => ("uninstall", None),
    }
}

fn help(topic: Option<&str>) -> i32 {
    match topic {
        Some("syscalls") => {
            print!("{}", sentry::syscalls::Table::build().describe());
            0
        }
        _ => {
            use clap::CommandFactory;
            let _ = cli::Cli::command().print_help();
            println!("\n\nHelp topics: syscalls");
            0
        }
    }
}
