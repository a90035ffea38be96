//! `runsc list`: every container under --root.

use crate::cli::{Cli, Format, ListArgs};
use crate::state::{list_ids, Container};
use anyhow::Result;

pub fn run(cli: &Cli, args: &ListArgs) -> Result<i32> {
    let containers: Vec<Container> = list_ids(&cli.root)?
        .iter()
        .filter_map(|id| Container::load(&cli.root, id).ok())
        .collect();
    if args.quiet {
        for c in &containers {
            println!("{}", c.id());
        }
        return Ok(0);
    }
    match args.format {
        Format::Json => {
            let states: Vec<_> = containers.iter().map(|c| c.oci_state()).collect();
            println!("{}", serde_json::to_string(&states)?);
        }
        Format::Table => {
            let mut rows = vec![["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
                .map(String::from)
                .to_vec()];
            for c in &containers {
                let s = c.oci_state();
                rows.push(vec![
                    s.id,
                    s.pid.to_string(),
                    s.status.to_string(),
                    s.bundle.display().to_string(),
                    s.created,
                    s.owner,
                ]);
            }
            print!("{}", table(&rows));
        }
    }
    Ok(0)
}

/// Columns padded as runc's tabwriter pads them (at least 12 wide, 3 apart).
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count() + 3)
                .max()
                .unwrap_or(0)
                .max(12)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
