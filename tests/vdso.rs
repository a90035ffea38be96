//! The vDSO keeps clock reads out of the Sentry: a program making 100,000
//! clock_gettime calls through glibc, linked dynamically and statically,
//! shows (almost) no clock_gettime syscall under `runsc --strace`, on both
//! platforms. A functional count, not a timing. The differential case
//! `prog::vdso` checks what the calls return.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use rvisor_tests::config::Config;

const LOOP: &str = r#"
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

int main(void)
{
	struct timespec ts;
	struct timeval tv;
	long long sum = 0;
	for (int i = 0; i < 100000; i++) {
		clock_gettime(i % 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
		sum += ts.tv_nsec & 1;
	}
	for (int i = 0; i < 1000; i++) {
		gettimeofday(&tv, NULL);
		sum += time(NULL) & 1;
	}
	printf("done %d\n", sum >= 0);
	return 0;
}
"#;

fn build(cfg: &Config, name: &str, static_link: bool) -> PathBuf {
    let dir = cfg.build_dir.join("vdso");
    fs::create_dir_all(&dir).expect("creating the vdso build directory");
    let source = dir.join("clockloop.c");
    let binary = dir.join(name);
    let partial = dir.join(format!(".{name}.{}", std::process::id()));
    fs::write(&source, LOOP).expect("writing clockloop.c");
    let mut gcc = Command::new("gcc");
    if static_link {
        gcc.arg("-static");
    }
    let out = gcc
        .args(["-O1", "-Wall", "-Werror", "-o"])
        .arg(&partial)
        .arg(&source)
        .output()
        .expect("running gcc");
    assert!(
        out.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::rename(&partial, &binary).expect("renaming the binary");
    binary
}

/// Runs `prog` under `runsc --strace do` and counts the time syscalls it made.
fn time_syscalls(cfg: &Config, platform: &str, prog: &PathBuf) -> usize {
    let out = Command::new(&cfg.runsc)
        .arg(format!("--platform={platform}"))
        .args(["--strace", "do", "--quiet"])
        .arg(prog)
        .output()
        .expect("running runsc");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout == "done 1\n",
        "{platform}: {}: status {:?}, stdout {stdout:?}\n{stderr}",
        prog.display(),
        out.status
    );
    // A line that mentions no syscall at all means strace printed nothing.
    assert!(
        stderr.contains("exit_group"),
        "{platform}: no strace output:\n{stderr}"
    );
    stderr
        .lines()
        .filter(|l| {
            l.contains("clock_gettime(") || l.contains("gettimeofday(") || l.contains(" time(")
        })
        .count()
}

#[test]
fn clock_reads_do_not_reach_the_sentry() {
    let cfg = Config::from_env();
    if cfg.native_only {
        eprintln!("vdso: skipped (RVISOR_NATIVE_ONLY)");
        return;
    }
    assert!(
        cfg.runsc.exists(),
        "runsc not found at {} (build it with `cargo build --release -p runsc`, or set RUNSC)",
        cfg.runsc.display()
    );
    let dynamic = build(&cfg, "clockloop-dynamic", false);
    let fixed = build(&cfg, "clockloop-static", true);
    for platform in ["systrap", "ptrace"] {
        for prog in [&dynamic, &fixed] {
            let n = time_syscalls(&cfg, platform, prog);
            assert!(
                n < 10,
                "{platform}: {} made {n} time syscalls for 102,000 reads",
                prog.display()
            );
        }
    }
}
