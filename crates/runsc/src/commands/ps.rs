//! `runsc ps`: the processes inside a container (pids are the sandbox's).

use crate::cli::{Cli, Format, PsArgs};
use crate::control::{Request, Response};
use crate::state::{Container, Status};
use anyhow::{bail, Result};

pub fn run(cli: &Cli, args: &PsArgs) -> Result<i32> {
    let c = Container::load(&cli.root, &args.id)?;
    if c.status() == Status::Stopped {
        bail!("container {:?} is not running", args.id);
    }
    let Response::Processes { processes } = super::ask(&c, &Request::Ps, &[])? else {
        bail!("unexpected answer to ps");
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&processes)?),
        Format::Table => {
            let mut rows = vec![["UID", "PID", "PPID", "STAT", "THREADS", "TIME", "CMD"]
                .map(String::from)
                .to_vec()];
            for p in processes {
                let cmd = if p.cmdline.is_empty() {
                    format!("[{}]", p.comm)
                } else {
                    p.cmdline.join(" ")
                };
                let secs = p.cpu_ns / 1_000_000_000;
                let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
                rows.push(vec![
                    p.uid.to_string(),
                    p.pid.to_string(),
                    p.ppid.to_string(),
                    p.state,
                    p.threads.to_string(),
                    time,
                    cmd,
                ]);
            }
            print!("{}", super::list::table(&rows));
        }
    }
    Ok(0)
}
