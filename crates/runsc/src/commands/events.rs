//! `runsc events`: resource usage, as runc's stats events
//! (`{"type":"stats","id":…,"data":{"cpu":…,"memory":…,"pids":…}}`).
//! With --stats one event and exit; otherwise one every --interval until
//! the container stops.

use crate::cli::{Cli, EventsArgs};
use crate::control::{Request, Response};
use crate::state::{Container, Status};
use anyhow::{anyhow, bail, Result};
use serde_json::json;
use std::time::Duration;

pub fn run(cli: &Cli, args: &EventsArgs) -> Result<i32> {
    let interval = parse_duration(&args.interval)?;
    loop {
        let c = Container::load(&cli.root, &args.id)?;
        if c.status() == Status::Stopped {
            if args.stats {
                bail!("container {:?} is not running", args.id);
            }
            return Ok(0);
        }
        let s = match super::ask(&c, &Request::Stats, &[]) {
            Ok(Response::Stats { stats }) => stats,
            Ok(other) => bail!("unexpected answer to stats: {other:?}"),
            // It stopped between the look at its status and the question.
            Err(_) if !args.stats && c.status() == Status::Stopped => return Ok(0),
            Err(e) => return Err(e),
        };
        let event = json!({
            "type": "stats",
            "id": args.id,
            "data": {
                "cpu": { "usage": { "total": s.cpu_user_ns + s.cpu_system_ns, "user": s.cpu_user_ns, "kernel": s.cpu_system_ns } },
                "memory": { "usage": { "usage": s.memory_bytes } },
                "pids": { "current": s.tasks },
            }
        });
        println!("{event}");
        if args.stats {
            return Ok(0);
        }
        std::thread::sleep(interval);
    }
}

/// "5s", "500ms", "2m", "1h", or seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || anyhow!("invalid duration {s:?} (examples: 5s, 500ms, 1m)");
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if !(secs > 0.0 && secs < 1e9) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}
