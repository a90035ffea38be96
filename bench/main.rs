//! rvisor-bench: runs the micro-benchmarks in `bench/programs` and a
//! start-up benchmark natively, under rvisor (one column per platform) and
//! under other runtimes, then prints one table of medians and slowdowns.
//! Progress goes to stderr, the table to stdout. Nothing here asserts on a
//! timing: a runtime that fails gets `fail` in its column and a note.

mod bench;
mod compile;
mod run;
mod table;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use bench::Column;

const USAGE: &str = "\
usage: rvisor-bench [--runs N] [--filter SUBSTR]... [--runsc PATH] [--platform P]...
                    [--vs 'CMD PREFIX']... [--markdown] [--timeout SECS]

  --runs N          timed runs per benchmark and column (default 5); medians are shown
  --filter SUBSTR   only benchmarks whose name contains SUBSTR (repeatable: any of them)
  --runsc PATH      rvisor's runsc (default: <workspace>/target/release/runsc)
  --platform P      one rvisor column per platform, run as `runsc --platform=P do --quiet`
                    (repeatable; default: systrap and ptrace)
  --vs 'PREFIX'     another runtime column: PREFIX split on whitespace, then the program
                    and its arguments, e.g. --vs '/usr/bin/runsc --network=none do'
  --markdown        print the table as Markdown
  --timeout SECS    kill a run after SECS seconds and mark it failed (default 60)
";

struct Options {
    runs: usize,
    filters: Vec<String>,
    runsc: PathBuf,
    platforms: Vec<String>,
    vs: Vec<String>,
    markdown: bool,
    timeout: Duration,
}

fn parse_args(root: &Path) -> Result<Options, String> {
    let mut opts = Options {
        runs: 5,
        filters: Vec::new(),
        runsc: root.join("target/release/runsc"),
        platforms: Vec::new(),
        vs: Vec::new(),
        markdown: false,
        timeout: Duration::from_secs(60),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        // Accept both `--opt value` and `--opt=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--runs" => {
                opts.runs = value("--runs")?
                    .parse()
                    .map_err(|_| "--runs takes a positive number")?;
                if opts.runs == 0 {
                    return Err("--runs takes a positive number".into());
                }
            }
            "--filter" => opts.filters.push(value("--filter")?),
            "--runsc" => opts.runsc = PathBuf::from(value("--runsc")?),
            "--platform" => opts.platforms.push(value("--platform")?),
            "--vs" => opts.vs.push(value("--vs")?),
            "--markdown" => opts.markdown = true,
            "--timeout" => {
                let secs: u64 = value("--timeout")?
                    .parse()
                    .map_err(|_| "--timeout takes seconds")?;
                opts.timeout = Duration::from_secs(secs.max(1));
            }
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    if opts.platforms.is_empty() {
        opts.platforms.extend(["systrap".into(), "ptrace".into()]);
    }
    Ok(opts)
}

fn columns(opts: &Options) -> Result<Vec<Column>, String> {
    let mut cols = vec![Column {
        label: "native".into(),
        prefix: Vec::new(),
    }];
    let runsc = opts.runsc.to_string_lossy().into_owned();
    for p in &opts.platforms {
        cols.push(Column {
            label: format!("rvisor-{p}"),
            prefix: vec![
                runsc.clone(),
                format!("--platform={p}"),
                "do".into(),
                "--quiet".into(),
            ],
        });
    }
    for vs in &opts.vs {
        let prefix: Vec<String> = vs.split_whitespace().map(str::to_owned).collect();
        let Some(first) = prefix.first() else {
            return Err("--vs needs a command".into());
        };
        let base = Path::new(first)
            .file_name()
            .map_or(first.clone(), |n| n.to_string_lossy().into_owned());
        let mut label = base.clone();
        let mut n = 2;
        while cols.iter().any(|c| c.label == label) {
            label = format!("{base}#{n}");
            n += 1;
        }
        cols.push(Column { label, prefix });
    }
    Ok(cols)
}

fn main() -> ExitCode {
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = bench_dir.parent().expect("bench/ has a parent");
    let opts = match parse_args(root) {
        Ok(o) => o,
        Err(e) => {
            eprint!("rvisor-bench: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let columns = match columns(&opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rvisor-bench: {e}");
            return ExitCode::from(2);
        }
    };

    let build_dir = bench_dir.join("build");
    let binaries = match compile::compile_all(&bench_dir.join("programs"), &build_dir) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("rvisor-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !opts.runsc.exists() {
        eprintln!(
            "rvisor-bench: note: {} does not exist (cargo build --release -p runsc); rvisor columns will fail",
            opts.runsc.display()
        );
    }

    let selected: Vec<&bench::Benchmark> = bench::ALL
        .iter()
        .filter(|b| {
            opts.filters.is_empty() || opts.filters.iter().any(|f| b.name.contains(f.as_str()))
        })
        .collect();
    if selected.is_empty() {
        eprintln!("rvisor-bench: no benchmark matches the filter");
        return ExitCode::from(2);
    }

    let runner = run::Runner::new(&build_dir, opts.timeout);
    let mut rows = Vec::new();
    for b in selected {
        eprintln!("{} ({} runs)", b.name, opts.runs);
        let cells = bench::measure(b, &columns, &binaries, &runner, opts.runs);
        rows.push(table::Row { bench: b, cells });
    }
    runner.cleanup();

    print!("{}", table::render(&columns, &rows, opts.markdown));
    ExitCode::SUCCESS
}
