//! No host process outlives its sandbox. `runsc do` runs application code in stub
//! processes (the ptrace platform forks a master stub, and one stub per address space from
//! it); whatever happens to the sandbox — the program exits, it dies of a signal, or runsc
//! itself is SIGKILLed — every process below runsc must be gone within a few seconds.
//!
//! The test process makes itself a child subreaper, so anything below runsc that survives
//! it is re-parented here rather than to init: after runsc is gone, a leak is simply a
//! child of this process. While runsc runs, its descendants are also sampled from /proc
//! (by parent pid), which proves the stubs exist and identifies them by start time.
//!
//! The tests take a lock so that only one sandbox runs at a time (the orphans of one test
//! must not be mistaken for another's). With `RVISOR_NATIVE_ONLY=1` they are skipped.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, Once};
use std::thread;
use std::time::{Duration, Instant};

use rvisor_tests::config::Config;
use rvisor_tests::process::shell_status;

/// A program that prints "ready", optionally execs itself once (so that an address space
/// is replaced), then sleeps for argv[1] seconds — or spins, where nanosleep is missing.
const SLEEPER: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long secs = argc > 1 ? atol(argv[1]) : 30;
	printf("ready\n");
	fflush(stdout);
	if (argc > 2 && strcmp(argv[2], "exec") == 0) {
		char *args[] = { argv[0], argv[1], NULL };
		execve(argv[0], args, NULL);
		printf("execve failed\n");
		return 1;
	}
	struct timespec ts = { secs, 0 };
	if (syscall(SYS_nanosleep, &ts, NULL) == 0)
		return 0;
	for (volatile unsigned long i = 0; i < (unsigned long)secs * 300000000UL; i++)
		;
	return 0;
}
"#;

/// A program that jumps to address 8. (tests/programs/segv.c does the same but first
/// disables core dumps with setrlimit, which this test must not depend on: it only runs
/// in the sandbox, where no host core file can be written.)
const CRASHER: &str = r#"
#include <stdio.h>

int main(void)
{
	printf("jumping\n");
	fflush(stdout);
	void (*volatile bad)(void) = (void (*)(void))8;
	bad();
	return 0;
}
"#;

/// A program that execs itself N times: every exec makes the Sentry create a new address
/// space, that is, fork a new stub process.
const EXEC_LOOP: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	if (n <= 0)
		return 0;
	char next[32];
	snprintf(next, sizeof next, "%ld", n - 1);
	char *args[] = { argv[0], next, NULL };
	execve(argv[0], args, NULL);
	return 1;
}
"#;

/// How long leftovers get to die once their sandbox is gone.
const GRACE: Duration = Duration::from_secs(5);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
static SUBREAPER: Once = Once::new();

/// A process, told apart from a later one with the same pid by its start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Proc {
    pid: i32,
    start: u64,
}

/// The fields of /proc/PID/stat this test needs.
#[derive(Debug, Clone)]
struct Stat {
    comm: String,
    state: char,
    ppid: i32,
    start: u64,
}

fn stat(pid: i32) -> Option<Stat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // comm is in parentheses and may itself contain spaces and parentheses.
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // After comm: state(3) ppid(4) ... starttime(22), so rest[0] is field 3.
    Some(Stat {
        comm,
        state: rest.first()?.chars().next()?,
        ppid: rest.get(1)?.parse().ok()?,
        start: rest.get(19)?.parse().ok()?,
    })
}

/// Every process on the host with its stat.
fn all_processes() -> BTreeMap<i32, Stat> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        if let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) {
            if let Some(st) = stat(pid) {
                out.insert(pid, st);
            }
        }
    }
    out
}

/// The live descendants of `root` (not `root` itself).
fn descendants(root: i32) -> BTreeMap<Proc, String> {
    let procs = all_processes();
    let mut found = BTreeMap::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (&pid, st) in &procs {
            if st.ppid == parent && !matches!(st.state, 'Z' | 'X') {
                found.insert(
                    Proc {
                        pid,
                        start: st.start,
                    },
                    st.comm.clone(),
                );
                frontier.push(pid);
            }
        }
    }
    found
}

/// Whether `p` still runs (a zombie has finished; it only waits to be reaped).
fn alive(p: Proc) -> bool {
    stat(p.pid).is_some_and(|st| st.start == p.start && !matches!(st.state, 'Z' | 'X'))
}

/// Live processes whose parent is this test process: with the subreaper set, these are the
/// leftovers of a sandbox that is gone.
fn orphans() -> BTreeMap<Proc, String> {
    descendants(std::process::id() as i32)
}

/// Reaps every zombie child (orphans re-parented here die as our children).
fn reap() {
    loop {
        let mut status = 0;
        // SAFETY: waitpid with a valid out-pointer; WNOHANG never blocks.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            break;
        }
    }
}

fn kill(pid: i32) {
    // SAFETY: kill(2) on a pid this test found below its own sandbox.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
}

fn config() -> Option<Config> {
    let cfg = Config::from_env();
    if cfg.native_only {
        eprintln!("leaks: skipped (RVISOR_NATIVE_ONLY: there is no sandbox to leak)");
        return None;
    }
    assert!(
        cfg.runsc.exists(),
        "runsc not found at {} (build it with `cargo build --release -p runsc`, or set RUNSC)",
        cfg.runsc.display()
    );
    SUBREAPER.call_once(|| {
        // SAFETY: prctl with integer arguments; it only changes this process's own flag.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(
            r,
            0,
            "PR_SET_CHILD_SUBREAPER: {}",
            std::io::Error::last_os_error()
        );
    });
    Some(cfg)
}

/// Builds `source` into the harness's build directory as `name` (again only when the
/// source text changed).
fn build(cfg: &Config, name: &str, source_text: &str) -> PathBuf {
    let dir = cfg.build_dir.join("leaks");
    fs::create_dir_all(&dir).expect("creating the leaks build directory");
    let source = dir.join(format!("{name}.c"));
    let binary = dir.join(name);
    if fs::read_to_string(&source).ok().as_deref() != Some(source_text) || !binary.exists() {
        fs::write(&source, source_text).unwrap_or_else(|e| panic!("writing {name}.c: {e}"));
        let partial = dir.join(format!(".{name}.{}", std::process::id()));
        let out = Command::new("gcc")
            .args(["-static", "-O1", "-Wall", "-Werror", "-o"])
            .arg(&partial)
            .arg(&source)
            .output()
            .expect("running gcc");
        assert!(
            out.status.success(),
            "gcc {name}.c: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        fs::rename(&partial, &binary).unwrap_or_else(|e| panic!("renaming {name}: {e}"));
    }
    binary
}

/// One sandboxed run being watched.
struct Watched {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every process seen below runsc so far.
    seen: BTreeMap<Proc, String>,
}

impl Watched {
    fn start(cfg: &Config, argv: &[String]) -> Watched {
        let cmd = cfg.sandbox_argv(argv);
        let mut child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("stdout pipe");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watched {
            child,
            lines,
            seen: BTreeMap::new(),
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn sample(&mut self) {
        self.seen.extend(descendants(self.pid()));
    }

    /// Samples the process tree until the program prints `line`.
    fn wait_for_line(&mut self, want: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            self.sample();
            match self.lines.recv_timeout(Duration::from_millis(5)) {
                Ok(line) if line == want => return,
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the sandboxed program ended before printing {want:?}")
                }
            }
            assert!(
                Instant::now() < deadline,
                "no {want:?} from the sandbox within {limit:?}"
            );
        }
    }

    /// Samples the process tree until runsc exits; its shell-style status.
    fn wait_exit(&mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            self.sample();
            if let Some(status) = self.child.try_wait().expect("waiting for runsc") {
                return shell_status(status);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("runsc did not exit within {limit:?}");
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// After runsc is gone: every process seen below it, and every orphan handed to this
    /// subreaper, must disappear within GRACE. Kills and reports whatever does not.
    fn assert_nothing_left(&self) {
        let deadline = Instant::now() + GRACE;
        let left = loop {
            reap();
            let mut left: BTreeMap<Proc, String> = self
                .seen
                .iter()
                .filter(|(p, _)| alive(**p))
                .map(|(p, c)| (*p, c.clone()))
                .collect();
            left.extend(orphans());
            if left.is_empty() || Instant::now() > deadline {
                break left;
            }
            thread::sleep(Duration::from_millis(20));
        };
        if !left.is_empty() {
            let report: Vec<String> = left
                .iter()
                .map(|(p, comm)| format!("pid {} ({comm}) {}", p.pid, cmdline(p.pid)))
                .collect();
            for p in left.keys() {
                kill(p.pid);
            }
            thread::sleep(Duration::from_millis(100));
            reap();
            panic!(
                "{} process(es) outlived the sandbox by {GRACE:?} (killed now):\n  {}\n(seen below runsc during the run: {:?})",
                left.len(),
                report.join("\n  "),
                self.seen
            );
        }
    }
}

/// A failed assertion must not leave a sandbox running.
impl Drop for Watched {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn cmdline(pid: i32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .replace('\0', " ")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

fn args(binary: &Path, rest: &[&str]) -> Vec<String> {
    let mut argv = vec![binary.display().to_string()];
    argv.extend(rest.iter().map(|s| s.to_string()));
    argv
}

/// (a) A program that runs, execs itself once (replacing its address space) and exits
/// normally leaves no process behind.
#[test]
fn normal_exit_leaves_nothing() {
    let Some(cfg) = config() else { return };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let binary = build(&cfg, "sleeper", SLEEPER);
    let mut run = Watched::start(&cfg, &args(&binary, &["1", "exec"]));
    run.wait_for_line("ready", cfg.timeout);
    let status = run.wait_exit(cfg.timeout);
    assert_eq!(status, 0, "the sleeper should exit 0 in the sandbox");
    assert!(
        !run.seen.is_empty(),
        "no stub process was ever seen below runsc"
    );
    run.assert_nothing_left();
}

/// (b) SIGKILL to runsc while the program sleeps: every process below runsc dies with it
/// (the stubs are bound to the Sentry with PTRACE_O_EXITKILL and PR_SET_PDEATHSIG).
#[test]
fn killing_runsc_kills_every_stub() {
    let Some(cfg) = config() else { return };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let binary = build(&cfg, "sleeper", SLEEPER);
    let mut run = Watched::start(&cfg, &args(&binary, &["30"]));
    run.wait_for_line("ready", cfg.timeout);
    // Give the stubs a moment in which the tree is stable, then take a last sample.
    thread::sleep(Duration::from_millis(200));
    run.sample();
    let below = descendants(run.pid());
    assert!(
        !below.is_empty(),
        "the sleeping program has no stub process below runsc"
    );
    kill(run.pid());
    let status = run.wait_exit(Duration::from_secs(10));
    assert_eq!(status, 128 + libc::SIGKILL);
    run.assert_nothing_left();
}

/// (c) A program that jumps to a bad address dies of SIGSEGV (runsc exits 139) and leaves
/// nothing behind.
#[test]
fn segfault_exits_139_and_leaves_nothing() {
    let Some(cfg) = config() else { return };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let binary = build(&cfg, "crasher", CRASHER);
    let mut run = Watched::start(&cfg, &args(&binary, &[]));
    let status = run.wait_exit(cfg.timeout);
    assert_eq!(
        status, 139,
        "runsc should report the application's SIGSEGV as 139"
    );
    run.assert_nothing_left();
}

/// (b, under stress) SIGKILL to runsc at many points of a program that does nothing but
/// exec itself, so that some kills land while the Sentry is creating an address space.
///
/// Today this finds a leak within a few dozen kills: a stub process forked for a new
/// address space is neither traced nor bound to its parent by PR_SET_PDEATHSIG until a
/// task thread first claims it, so a kill in between leaves it idling in pause() forever.
#[test]
#[ignore = "stress test (~30 s): kills runsc at random points of an exec loop"]
fn killing_runsc_during_exec_leaves_nothing() {
    let Some(cfg) = config() else { return };
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let binary = build(&cfg, "exec-loop", EXEC_LOOP);
    let argv = args(&binary, &["1000000"]);
    // Fixed-seed delays between 50 and 550 ms, so that a failure can be reproduced.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for round in 0..60 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(50 + seed % 500);
        let mut run = Watched::start(&cfg, &argv);
        thread::sleep(delay);
        run.sample();
        kill(run.pid());
        let status = run.wait_exit(Duration::from_secs(10));
        assert_eq!(
            status,
            128 + libc::SIGKILL,
            "round {round}: runsc ended on its own"
        );
        run.assert_nothing_left();
    }
}
