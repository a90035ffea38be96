//! The benchmark list and how one benchmark is measured across columns.
//!
//! Micro-benchmarks time themselves and print `RESULT` lines; the runner
//! first does a short probe run per column (which doubles as a warm-up) and
//! picks the iteration count so the timed loop lasts about `TARGET_NS`, never
//! more than the native default. Start-up is timed by the runner itself.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::run::{median, parse_result, Runner};

/// Wanted length of one timed loop.
const TARGET_NS: f64 = 0.5e9;
/// One start-up sample keeps spawning until this much time has passed.
const STARTUP_BATCH_NS: f64 = 0.1e9;
const STARTUP_BATCH_MAX: usize = 100;

pub struct Benchmark {
    /// Metric name: the `RESULT` name and the table's row label.
    pub name: &'static str,
    pub unit: &'static str,
    /// Program file stem in `bench/programs`.
    pub program: &'static str,
    pub kind: Kind,
}

pub enum Kind {
    /// Program measures itself; argv[1] is its iteration count.
    Micro {
        probe_iters: u64,
        min_iters: u64,
        /// The program's own default, sized for about 0.2-0.5 s natively.
        max_iters: u64,
        /// Converts a reported value into nanoseconds per iteration.
        ns_per_iter: fn(f64) -> f64,
    },
    /// Wall time of the whole process, measured by the runner.
    Startup,
}

const WRITE_BYTES_PER_ITER: f64 = 64.0 * 1024.0 * 1024.0;
const READ_BYTES_PER_ITER: f64 = 64.0 * 1024.0 * 1024.0;

pub const ALL: &[Benchmark] = &[
    Benchmark {
        name: "startup",
        unit: "ms",
        program: "true",
        kind: Kind::Startup,
    },
    Benchmark {
        name: "getpid",
        unit: "ns/op",
        program: "getpid",
        kind: Kind::Micro {
            probe_iters: 2000,
            min_iters: 1000,
            max_iters: 2_000_000,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "clock_gettime",
        unit: "ns/op",
        program: "clock_gettime",
        kind: Kind::Micro {
            probe_iters: 2000,
            min_iters: 1000,
            max_iters: 5_000_000,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "open_close",
        unit: "ns/op",
        program: "open_close",
        kind: Kind::Micro {
            probe_iters: 500,
            min_iters: 500,
            max_iters: 200_000,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "pread_4k",
        unit: "ns/op",
        program: "pread",
        kind: Kind::Micro {
            probe_iters: 1000,
            min_iters: 1000,
            max_iters: 300_000,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "mmap_touch_munmap",
        unit: "ns/op",
        program: "mmap",
        // Reported per page; one iteration is 64 pages.
        kind: Kind::Micro {
            probe_iters: 20,
            min_iters: 20,
            max_iters: 2000,
            ns_per_iter: |v| v * 64.0,
        },
    },
    Benchmark {
        name: "fork_wait",
        unit: "ns/op",
        program: "fork_wait",
        kind: Kind::Micro {
            probe_iters: 10,
            min_iters: 10,
            max_iters: 500,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "fork_exec",
        unit: "ns/op",
        program: "fork_exec",
        kind: Kind::Micro {
            probe_iters: 5,
            min_iters: 5,
            max_iters: 300,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "pipe_pingpong",
        unit: "ns/op",
        program: "pipe_pingpong",
        kind: Kind::Micro {
            probe_iters: 200,
            min_iters: 200,
            max_iters: 50_000,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "stat",
        unit: "ns/op",
        program: "stat",
        kind: Kind::Micro {
            probe_iters: 1000,
            min_iters: 1000,
            max_iters: 500_000,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "open_read_close",
        unit: "ns/op",
        program: "open_read_close",
        kind: Kind::Micro {
            probe_iters: 500,
            min_iters: 500,
            max_iters: 200_000,
            ns_per_iter: |v| v,
        },
    },
    Benchmark {
        name: "readdir_10k",
        unit: "us/op",
        program: "readdir",
        // One iteration lists 10,000 entries of a host directory.
        kind: Kind::Micro {
            probe_iters: 2,
            min_iters: 2,
            max_iters: 200,
            ns_per_iter: |v| v * 1e3,
        },
    },
    Benchmark {
        name: "read_64m",
        unit: "MB/s",
        program: "read_seq",
        // One iteration reads a 64 MiB host file.
        kind: Kind::Micro {
            probe_iters: 1,
            min_iters: 1,
            max_iters: 8,
            ns_per_iter: |v| READ_BYTES_PER_ITER / v * 1e3,
        },
    },
    Benchmark {
        name: "write_64m",
        unit: "MB/s",
        program: "write",
        // One iteration writes 64 MiB; MB/s is 10^6 bytes per second.
        kind: Kind::Micro {
            probe_iters: 1,
            min_iters: 1,
            max_iters: 8,
            ns_per_iter: |v| WRITE_BYTES_PER_ITER / v * 1e3,
        },
    },
];

impl Benchmark {
    /// Whether a bigger value is better (throughput) or worse (time).
    pub fn higher_is_better(&self) -> bool {
        self.unit.ends_with("/s")
    }
}

/// One table column: a way of running a program.
pub struct Column {
    pub label: String,
    /// Words put before the program path; empty for native.
    pub prefix: Vec<String>,
}

/// Measures `bench` under every column; one cell (median or failure) each.
pub fn measure(
    bench: &Benchmark,
    columns: &[Column],
    binaries: &BTreeMap<String, PathBuf>,
    runner: &Runner,
    runs: usize,
) -> Vec<Result<f64, String>> {
    let Some(program) = binaries.get(bench.program) else {
        let msg = format!("program {}.c not found in bench/programs", bench.program);
        return columns.iter().map(|_| Err(msg.clone())).collect();
    };
    let sampler = Sampler {
        bench,
        runner,
        program,
    };

    // Probe / warm-up, one per column.
    let mut states: Vec<Result<(u64, Vec<f64>), String>> = columns
        .iter()
        .map(|col| sampler.calibrate(col).map(|iters| (iters, Vec::new())))
        .collect();

    // Runs interleaved across columns, so drift in the machine's load hits
    // every column alike.
    for _ in 0..runs {
        for (col, state) in columns.iter().zip(states.iter_mut()) {
            if let Ok((iters, values)) = state {
                match sampler.sample(col, *iters) {
                    Ok(v) => values.push(v),
                    Err(e) => *state = Err(e),
                }
            }
        }
    }

    columns
        .iter()
        .zip(states)
        .map(|(col, state)| {
            let cell = state.map(|(iters, values)| {
                let shown: Vec<String> = values.iter().map(|v| format!("{v:.1}")).collect();
                let iters = if matches!(bench.kind, Kind::Micro { .. }) {
                    format!(" iters={iters}")
                } else {
                    String::new()
                };
                let m = median(&values);
                eprintln!(
                    "  {:<16} {}{iters}: {} -> {m:.1} {}",
                    col.label,
                    bench.name,
                    shown.join(" "),
                    bench.unit
                );
                m
            });
            if let Err(e) = &cell {
                eprintln!("  {:<16} {}: fail: {e}", col.label, bench.name);
            }
            cell
        })
        .collect()
}

struct Sampler<'a> {
    bench: &'a Benchmark,
    runner: &'a Runner,
    program: &'a PathBuf,
}

impl Sampler<'_> {
    /// Warm-up run; for micro-benchmarks also picks the iteration count.
    fn calibrate(&self, col: &Column) -> Result<u64, String> {
        match self.bench.kind {
            Kind::Startup => self.runner.run(&col.prefix, self.program, &[]).map(|_| 1),
            Kind::Micro {
                probe_iters,
                min_iters,
                max_iters,
                ns_per_iter,
            } => {
                let value = self.micro(col, probe_iters)?;
                let per_iter = ns_per_iter(value).max(1e-3);
                let wanted = round_down_nice(TARGET_NS / per_iter);
                Ok(wanted.clamp(min_iters, max_iters))
            }
        }
    }

    /// One run's value.
    fn sample(&self, col: &Column, iters: u64) -> Result<f64, String> {
        match self.bench.kind {
            Kind::Startup => self.startup(col),
            Kind::Micro { .. } => self.micro(col, iters),
        }
    }

    fn micro(&self, col: &Column, iters: u64) -> Result<f64, String> {
        let out = self
            .runner
            .run(&col.prefix, self.program, &[iters.to_string()])?;
        parse_result(&out.stdout, self.bench.name, self.bench.unit)
    }

    /// Median wall time (ms) of a batch of spawns lasting about
    /// `STARTUP_BATCH_NS` (a single spawn when one start-up is that slow).
    fn startup(&self, col: &Column) -> Result<f64, String> {
        let mut walls = Vec::new();
        let mut total = 0.0;
        while total < STARTUP_BATCH_NS && walls.len() < STARTUP_BATCH_MAX {
            let ns = self
                .runner
                .run(&col.prefix, self.program, &[])?
                .wall
                .as_nanos() as f64;
            total += ns;
            walls.push(ns / 1e6);
        }
        Ok(median(&walls))
    }
}

/// Largest 1, 2 or 5 times a power of ten not above `x` (at least 1), so
/// iteration counts stay the same from one invocation to the next.
fn round_down_nice(x: f64) -> u64 {
    if x.is_nan() || x < 1.0 {
        return 1;
    }
    let pow = 10f64.powi(x.log10().floor() as i32);
    let step = [5.0, 2.0, 1.0]
        .into_iter()
        .find(|m| m * pow <= x)
        .unwrap_or(1.0);
    (step * pow) as u64
}
