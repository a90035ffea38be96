//! `runsc`: rvisor's runtime binary.
//!
//! Today: `runsc do` (run a command in a fresh sandbox over the host root)
//! and `runsc help syscalls`. The OCI lifecycle commands arrive with the
//! runtime issue.

mod cli;
mod do_cmd;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    init_logging(&args);
    let code = match &args.command {
        cli::Command::Do(d) => do_cmd::run(&args, d),
        cli::Command::Help { topic } => help(topic.as_deref()),
    };
    std::process::exit(code);
}

fn init_logging(args: &cli::Cli) {
    let quiet = matches!(&args.command, cli::Command::Do(d) if d.quiet);
    let level = if args.debug {
        tracing::Level::DEBUG
    } else if quiet {
        tracing::Level::ERROR
    } else {
        tracing::Level::WARN
    };
    let _ = tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).with_target(false).try_init();
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
