//! The Gofer from outside, through `runsc do`:
//!
//! - after boot the Sentry opens no host path (strace attached to every
//!   thread of the Sentry process while a program works with files);
//! - killing the Gofer (SIGKILL) while a program loops over stat gives the
//!   program EIO, it still finishes and prints, and runsc exits normally;
//! - a file created on the host in a served directory becomes visible to a
//!   program already running, and so does a change to it (default overlay
//!   and `--overlay2=none`);
//! - with `--overlay2=none` the file programs of the differential suite
//!   give the same output as natively, with their writes on the host.
//!
//! Skipped with `RVISOR_NATIVE_ONLY=1`.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rvisor_tests::catalog::program_cases;
use rvisor_tests::config::Config;

fn config() -> Option<Config> {
    let cfg = Config::from_env();
    if cfg.native_only {
        eprintln!("gofer: skipped (RVISOR_NATIVE_ONLY)");
        return None;
    }
    assert!(
        cfg.runsc.exists(),
        "runsc not found at {} (cargo build --release -p runsc)",
        cfg.runsc.display()
    );
    Some(cfg)
}

/// Builds `source` as `name` in the harness's build directory (one build
/// at a time: tests share programs).
fn build(cfg: &Config, name: &str, source_text: &str) -> PathBuf {
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = cfg.build_dir.join("gofer");
    fs::create_dir_all(&dir).unwrap();
    let source = dir.join(format!("{name}.c"));
    let binary = dir.join(name);
    if fs::read_to_string(&source).ok().as_deref() != Some(source_text) || !binary.exists() {
        fs::write(&source, source_text).unwrap();
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
        fs::rename(&partial, &binary).unwrap();
    }
    binary
}

/// A sandboxed program whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(cfg: &Config, extra_flags: &[&str], argv: &[String]) -> Running {
        let mut cmd = vec![cfg.runsc.display().to_string()];
        cmd.extend(extra_flags.iter().map(|s| s.to_string()));
        cmd.extend(cfg.sandbox_argv(argv).into_iter().skip(1));
        let mut child = Command::new(&cmd[0])
            .args(&cmd[1..])
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stdin,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line starting with `prefix`; returns it.
    fn expect(&mut self, prefix: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "no line {prefix:?} within {limit:?}; output so far: {:?}",
                        self.seen
                    );
                }
            }
        }
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// The shell-style exit status, within `limit`.
    fn wait(&mut self, limit: Duration) -> i32 {
        drop(self.stdin.take());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // The rest of the output, for failure messages.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.push(l);
                }
                return rvisor_tests::process::shell_status(st);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "runsc did not exit within {limit:?}; output: {:?}",
                    self.seen
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Children of `pid` whose command line contains `word`.
fn children_running(pid: i32, word: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{p}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let ppid: i32 = stat[close + 2..]
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let cmdline = fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
        if ppid == pid && String::from_utf8_lossy(&cmdline).contains(word) {
            out.push(p);
        }
    }
    out
}

/// A directory on the host, removed when dropped.
struct HostDir(PathBuf);

impl HostDir {
    fn new(tag: &str) -> HostDir {
        let p = PathBuf::from(format!("/tmp/rvt-gofer-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        HostDir(p)
    }
}

impl Drop for HostDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const STAT_LOOP: &str = r#"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	if (argc < 2 || stat(argv[1], &st) != 0) {
		printf("first stat failed\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	struct timespec nap = { 0, 2000000 };
	for (long i = 0; i < 30000; i++) {
		if (stat(argv[1], &st) != 0) {
			printf("stat: %s\n", errno == EIO ? "EIO" : strerror(errno));
			int fd = open("/etc/passwd", O_RDONLY);
			printf("open: %s\n", fd < 0 && errno == EIO ? "EIO" : "other");
			printf("finished\n");
			return 0;
		}
		nanosleep(&nap, NULL);
	}
	printf("never failed\n");
	return 2;
}
"#;

#[test]
fn killing_the_gofer_gives_eio_and_runsc_exits_normally() {
    let Some(cfg) = config() else { return };
    let prog = build(&cfg, "stat_loop", STAT_LOOP);
    let mut r = Running::start(
        &cfg,
        &[],
        &[prog.display().to_string(), "/etc/hostname".into()],
    );
    r.expect("ready", Duration::from_secs(60));
    let gofers = children_running(r.pid(), "gofer");
    assert_eq!(gofers.len(), 1, "one gofer below runsc: {gofers:?}");
    // SAFETY: kill(2) of a child process of the runsc we started.
    assert_eq!(unsafe { libc::kill(gofers[0], libc::SIGKILL) }, 0);
    assert_eq!(r.expect("stat:", Duration::from_secs(30)), "stat: EIO");
    assert_eq!(r.expect("open:", Duration::from_secs(10)), "open: EIO");
    r.expect("finished", Duration::from_secs(10));
    assert_eq!(r.wait(Duration::from_secs(30)), 0, "output: {:?}", r.seen);
}

const POLLER: &str = r#"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void show(const char *path)
{
	char buf[256] = { 0 };
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("open failed\n");
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("content: %.*s\n", (int)(n > 0 ? n : 0), buf);
}

int main(int argc, char **argv)
{
	const char *dir = argv[1], *path = argv[2];
	struct timespec nap = { 0, 5000000 };
	struct stat st;
	if (stat(path, &st) == 0) {
		printf("there too early\n");
		return 1;
	}
	/* The directory is in the cache now (looked up by the stat above). */
	printf("ready\n");
	fflush(stdout);
	int i;
	for (i = 0; i < 4000 && stat(path, &st) != 0; i++)
		nanosleep(&nap, NULL);
	if (i == 4000) {
		printf("never appeared\n");
		return 1;
	}
	show(path);
	DIR *d = opendir(dir);
	int listed = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		listed |= strcmp(e->d_name, "file") == 0;
	if (d)
		closedir(d);
	printf("listed: %s\n", listed ? "yes" : "no");
	off_t size = st.st_size;
	printf("waiting for a change\n");
	fflush(stdout);
	for (i = 0; i < 4000 && stat(path, &st) == 0 && st.st_size == size; i++)
		nanosleep(&nap, NULL);
	if (i == 4000) {
		printf("never changed\n");
		return 1;
	}
	show(path);
	if (argc < 4) {
		printf("finished\n");
		return 0;
	}
	printf("waiting for removal\n");
	fflush(stdout);
	for (i = 0; i < 4000 && stat(path, &st) == 0; i++)
		nanosleep(&nap, NULL);
	printf("%s\n", i == 4000 ? "never removed" : "removed");
	return 0;
}
"#;

/// `removal`: also wait for the file's removal on the host to show. Under
/// the root overlay it does not yet: the overlay keeps every entry it has
/// shown (see the report of the Gofer work).
fn host_changes_become_visible(flags: &[&str], tag: &str, removal: bool) {
    let Some(cfg) = config() else { return };
    let prog = build(&cfg, "poller", POLLER);
    let dir = HostDir::new(tag);
    let path = dir.0.join("file");
    let mut argv = vec![
        prog.display().to_string(),
        dir.0.display().to_string(),
        path.display().to_string(),
    ];
    if removal {
        argv.push("removal".into());
    }
    let mut r = Running::start(&cfg, flags, &argv);
    r.expect("ready", Duration::from_secs(60));
    // Created whole under another name, then renamed in: one step.
    let tmp = dir.0.join(".file.tmp");
    fs::write(&tmp, "first version\n").unwrap();
    fs::rename(&tmp, &path).unwrap();
    assert_eq!(
        r.expect("content:", Duration::from_secs(30)),
        "content: first version"
    );
    assert_eq!(r.expect("listed:", Duration::from_secs(5)), "listed: yes");
    r.expect("waiting for a change", Duration::from_secs(5));
    fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(b"and a second line\n")
        .unwrap();
    assert_eq!(
        r.expect("content:", Duration::from_secs(30)),
        "content: first version"
    );
    r.expect("and a second line", Duration::from_secs(5));
    if removal {
        r.expect("waiting for removal", Duration::from_secs(5));
        fs::remove_file(&path).unwrap();
        assert_eq!(r.expect("removed", Duration::from_secs(30)), "removed");
    } else {
        r.expect("finished", Duration::from_secs(5));
    }
    assert_eq!(r.wait(Duration::from_secs(30)), 0, "output: {:?}", r.seen);
}

#[test]
fn a_host_file_becomes_visible_to_a_running_program() {
    host_changes_become_visible(&[], "visible", false);
}

#[test]
fn a_host_file_becomes_visible_without_an_overlay() {
    host_changes_become_visible(&["--overlay2=none"], "visible-rw", true);
}

const FILE_WORK: &str = r#"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char line[16];
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	char buf[4096];
	int fd = open("/etc/passwd", O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof buf) <= 0)
		return 2;
	void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return 3;
	close(fd);
	struct stat st;
	stat("/usr/bin", &st);
	stat("/bin/busybox", &st);
	DIR *d = opendir("/usr/lib");
	while (d && readdir(d))
		;
	if (d)
		closedir(d);
	readlink("/bin/sh", buf, sizeof buf);
	fd = open("/tmp/rvt-gofer-strace-written", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1)
		return 4;
	close(fd);
	unlink("/tmp/rvt-gofer-strace-written");
	pid_t p = fork();
	if (p == 0) {
		execl("/bin/busybox", "true", NULL);
		_exit(9);
	}
	int s;
	waitpid(p, &s, 0);
	printf("done %d\n", WIFEXITED(s) ? WEXITSTATUS(s) : -1);
	return 0;
}
"#;

/// Syscalls of strace's `%file` class and the open family, as they start
/// a line of strace's output.
fn opens_a_path(line: &str) -> bool {
    // "123 openat(AT_FDCWD, "/x", ...) = 3" or "openat(...": drop the pid.
    let call = line.split_once(' ').map_or(line, |(a, b)| {
        if a.chars().all(|c| c.is_ascii_digit()) {
            b
        } else {
            line
        }
    });
    let Some((name, args)) = call.split_once('(') else {
        return false;
    };
    if ["open", "openat", "openat2", "creat", "open_by_handle_at"].contains(&name) {
        return true;
    }
    // Other path calls count when they name a path: not `statx(5, "", AT_EMPTY_PATH…)`.
    args.contains("\"/") || args.split(", ").any(|a| a.starts_with('"') && a != "\"\"")
}

#[test]
fn the_sentry_opens_no_host_path_after_boot() {
    let Some(cfg) = config() else { return };
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("gofer: strace is missing (apt-get install strace); test skipped");
        return;
    }
    let prog = build(&cfg, "file_work", FILE_WORK);
    let mut r = Running::start(&cfg, &[], &[prog.display().to_string()]);
    r.expect("ready", Duration::from_secs(60));
    let log = cfg
        .build_dir
        .join(format!("gofer/strace-{}.txt", std::process::id()));
    let _ = fs::remove_file(&log);
    // Every thread of the Sentry, and those it starts later (-f); the
    // Gofer and the stub processes are other processes, started before.
    let mut strace = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=%file,open,openat,openat2,creat,open_by_handle_at",
            "-o",
        ])
        .arg(&log)
        .args(["-p", &r.pid().to_string()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Attached once every thread has a tracer.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tasks: Vec<_> = fs::read_dir(format!("/proc/{}/task", r.pid()))
            .unwrap()
            .flatten()
            .collect();
        let traced = tasks.iter().all(|t| {
            fs::read_to_string(t.path().join("status"))
                .unwrap_or_default()
                .lines()
                .any(|l| l.starts_with("TracerPid:") && l.trim_end() != "TracerPid:\t0")
        });
        if traced && !tasks.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "strace did not attach");
        thread::sleep(Duration::from_millis(20));
    }
    r.send("go\n");
    assert_eq!(r.expect("done", Duration::from_secs(120)), "done 0");
    assert_eq!(r.wait(Duration::from_secs(60)), 0);
    let _ = strace.wait();
    let text = fs::read_to_string(&log).unwrap_or_default();
    let bad: Vec<&str> = text.lines().filter(|l| opens_a_path(l)).collect();
    assert!(
        bad.is_empty(),
        "the Sentry opened host paths after boot:\n{}",
        bad.join("\n")
    );
    let _ = fs::remove_file(&log);
}

/// The differential suite's file programs, natively and under
/// `--overlay2=none` (their writes go to the host's /tmp through the
/// Gofer): same output. (`rename` is not among them: 9P's Trenameat has no
/// flags, so RENAME_EXCHANGE answers EINVAL there, as on other network
/// filesystems; nor `tmpfile`: the Gofer makes no O_TMPFILE files.)
#[test]
fn file_programs_without_an_overlay() {
    let Some(mut cfg) = config() else { return };
    cfg.runsc_flags.push("--overlay2=none".into());
    let wanted = [
        "dirs",
        "rw",
        "stat",
        "attr",
        "open",
        "namei",
        "fifo",
        "shared_file_map",
        "xattr_tmp",
        "fallocate",
        "syncrange",
        "fadvise",
        "statfs",
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

#[test]
fn strace_filter_recognises_paths() {
    assert!(opens_a_path("123 openat(AT_FDCWD, \"/etc\", O_RDONLY) = 3"));
    assert!(opens_a_path("open(\"x\", O_RDONLY) = -1 ENOENT"));
    assert!(opens_a_path(
        "123 newfstatat(AT_FDCWD, \"/x\", {...}, 0) = 0"
    ));
    assert!(!opens_a_path(
        "123 statx(5, \"\", AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH, STATX_ALL, {...}) = 0"
    ));
    assert!(!opens_a_path("123 +++ exited with 0 +++"));
}
