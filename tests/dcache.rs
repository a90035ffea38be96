//! The dentry cache's bound, from outside, through `runsc do`:
//!
//! - `find` over a host tree of 1100 directories, each with a subdirectory,
//!   under a hard RLIMIT_NOFILE of 1024 (which the Gofer inherits): every
//!   cached host dentry holds a Gofer fid, hence a host fd in the Gofer,
//!   so without eviction the Gofer runs out of fds half way and every later
//!   exec fails too. The output must match the native `find`, and a second
//!   walk and an exec after it must work;
//! - file programs of the differential suite under a cache of 4 dentries
//!   (`RVISOR_DENTRY_CACHE=4`, so nearly every name is evicted between two
//!   uses): same output as natively.
//!
//! Skipped with `RVISOR_NATIVE_ONLY=1`.

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rvisor_tests::catalog::program_cases;
use rvisor_tests::config::Config;

fn config() -> Option<Config> {
    let cfg = Config::from_env();
    if cfg.native_only {
        eprintln!("dcache: skipped (RVISOR_NATIVE_ONLY)");
        return None;
    }
    assert!(
        cfg.runsc.exists(),
        "runsc not found at {} (cargo build --release -p runsc)",
        cfg.runsc.display()
    );
    Some(cfg)
}

/// `dirs` directories `dN`, each holding `dN/x`, under a fresh directory.
struct BigTree(PathBuf);

impl BigTree {
    fn new(dirs: usize) -> BigTree {
        let root = std::env::temp_dir().join(format!("rvisor-dcache-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for i in 0..dirs {
            fs::create_dir_all(root.join(format!("d{i}/x"))).unwrap();
        }
        BigTree(root)
    }
}

impl Drop for BigTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `argv` with RLIMIT_NOFILE at `limit`, soft and hard.
fn run_limited(argv: &[String], limit: u64) -> Output {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]).env_remove("RVISOR_DENTRY_CACHE");
    // SAFETY: between fork and exec the closure only calls setrlimit, which
    // is async-signal-safe, with a struct on its own stack.
    unsafe {
        cmd.pre_exec(move || {
            let r = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &r) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", argv[0]))
}

fn sorted_lines(b: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(b)
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

fn find() -> &'static str {
    ["/usr/bin/find", "/bin/find"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("find(1) is needed")
}

#[test]
fn find_over_a_big_host_tree_under_an_fd_limit_of_1024() {
    let Some(cfg) = config() else { return };
    let tree = BigTree::new(1100);
    let top = tree.0.display().to_string();
    let native = run_limited(&[find().into(), top.clone()], 1024);
    assert!(native.status.success(), "native find failed");
    assert_eq!(native.stdout.iter().filter(|&&b| b == b'\n').count(), 2201);

    let sandboxed = run_limited(&cfg.sandbox_argv(&[find().into(), top.clone()]), 1024);
    let stderr = String::from_utf8_lossy(&sandboxed.stderr);
    assert!(
        sandboxed.status.success(),
        "find in the sandbox: {}\n{}",
        sandboxed.status,
        stderr.lines().take(10).collect::<Vec<_>>().join("\n")
    );
    assert!(!stderr.contains("Too many open files"), "{stderr}");
    assert_eq!(
        sorted_lines(&sandboxed.stdout),
        sorted_lines(&native.stdout)
    );

    // Walking again and starting programs afterwards still work.
    let script = format!(
        "{f} {top} | wc -l; {f} {top} -type d -name x | wc -l; ls {top}/d1099; echo done",
        f = find()
    );
    let again = run_limited(
        &cfg.sandbox_argv(&["/bin/sh".into(), "-c".into(), script]),
        1024,
    );
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        "2201\n1100\nx\ndone\n",
        "stderr: {}",
        String::from_utf8_lossy(&again.stderr)
            .lines()
            .take(10)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(again.status.success());
}

#[test]
fn file_programs_with_a_tiny_dentry_cache() {
    let Some(cfg) = config() else { return };
    // Only this test of this binary sets it (the other clears it for its
    // own commands); the native runs ignore it.
    std::env::set_var("RVISOR_DENTRY_CACHE", "4");
    let wanted = [
        "dcache",
        "dirs",
        "namei",
        "rename",
        "stat",
        "open",
        "attr",
        "inotify",
        "mount",
        "tmpfile",
        "fifo",
        "procfs",
        "xattr_tmp",
    ];
    let cases: Vec<_> = program_cases(&cfg)
        .unwrap()
        .into_iter()
        .filter(|c| wanted.iter().any(|w| c.name == format!("prog::{w}")))
        .collect();
    assert_eq!(cases.len(), wanted.len(), "programs missing");
    let mut failures = Vec::new();
    for case in cases {
        if let Err(e) = case.check(&cfg) {
            failures.push(format!("{}: {e}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
