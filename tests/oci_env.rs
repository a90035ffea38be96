//! What the OCI tests share (`oci_lifecycle`, `oci_mounts`): a test's world (the runsc
//! binary, a temporary directory, `--root` in it), bundles of busybox-static and its
//! applets with config.json from `runsc spec`, running runsc commands with a time limit,
//! and finding what a test left behind among this process's descendants (each test binary
//! makes itself a child subreaper; tests take a lock, so one runs at a time).

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use rvisor_tests::config::Config;
use serde_json::Value;

/// The busybox applets a bundle's /bin links to.
pub const APPLETS: &[&str] = &[
    "sh", "sleep", "echo", "cat", "id", "true", "false", "hostname", "pwd", "kill", "env", "stty",
    "ls", "mount", "umount", "touch", "mkdir", "rm", "grep", "test", "stat", "head", "dd", "wc",
];

/// One command may take this long.
pub const COMMAND_LIMIT: Duration = Duration::from_secs(60);

static LOCK: Mutex<()> = Mutex::new(());
static SUBREAPER: Once = Once::new();

/// A test's world: the runsc binary, a temporary directory, and `--root` inside it.
pub struct Env {
    pub runsc: PathBuf,
    pub dir: PathBuf,
    pub root: PathBuf,
    _lock: MutexGuard<'static, ()>,
}

impl Drop for Env {
    fn drop(&mut self) {
        // Whatever a failed test left running must not outlive it.
        for id in fs::read_dir(&self.root).into_iter().flatten().flatten() {
            let id = id.file_name().to_string_lossy().into_owned();
            let _ = self.cmd(&["delete", "--force", &id]);
        }
        for pid in live_descendants() {
            // SAFETY: kill(2) on a leftover of this test (a descendant of this process).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        reap();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// What one runsc command did.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn env(name: &str) -> Option<Env> {
    let cfg = Config::from_env();
    if cfg.native_only {
        eprintln!("{name}: skipped (RVISOR_NATIVE_ONLY)");
        return None;
    }
    assert!(
        cfg.runsc.exists(),
        "{} is missing: build it first (cargo build --release -p runsc)",
        cfg.runsc.display()
    );
    assert!(
        cfg.busybox.exists(),
        "{} is missing (install busybox-static)",
        cfg.busybox.display()
    );
    let lock = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    SUBREAPER.call_once(|| {
        // SAFETY: prctl(PR_SET_CHILD_SUBREAPER) with an integer argument.
        let r = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(r, 0, "PR_SET_CHILD_SUBREAPER");
    });
    reap();
    let dir = cfg
        .build_dir
        .join("oci")
        .join(format!("{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("test directory");
    let root = dir.join("state");
    Some(Env {
        runsc: cfg.runsc,
        root,
        dir,
        _lock: lock,
    })
}

impl Env {
    /// Run `runsc --root ROOT ARGS…` to completion; its stdio are files (a sandbox it
    /// starts inherits them, so pipes would never reach EOF while it lives).
    pub fn cmd(&self, args: &[&str]) -> Out {
        self.cmd_with(args, &[])
    }

    pub fn cmd_with(&self, args: &[&str], global: &[&str]) -> Out {
        let mut child = self.spawn(args, global, "last");
        let code = wait_limit(&mut child, COMMAND_LIMIT);
        Out {
            code,
            stdout: read(&self.dir.join("last.out")),
            stderr: read(&self.dir.join("last.err")),
        }
    }

    /// Start `runsc --root ROOT GLOBAL… ARGS…` with stdout and stderr in `<name>.out/.err`.
    pub fn spawn(&self, args: &[&str], global: &[&str], name: &str) -> Child {
        let out = fs::File::create(self.dir.join(format!("{name}.out"))).expect("stdout file");
        let err = fs::File::create(self.dir.join(format!("{name}.err"))).expect("stderr file");
        Command::new(&self.runsc)
            .arg("--root")
            .arg(&self.root)
            .args(global)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("starting runsc")
    }

    /// A bundle `name` whose process runs `args`; `edit` changes config.json further.
    pub fn bundle(&self, name: &str, args: &[&str], edit: impl FnOnce(&mut Value)) -> PathBuf {
        let b = self.dir.join(name);
        let rootfs = b.join("rootfs");
        for d in ["bin", "etc", "tmp", "dev", "proc", "sys"] {
            fs::create_dir_all(rootfs.join(d)).expect("rootfs");
        }
        fs::copy("/bin/busybox", rootfs.join("bin/busybox")).expect("copying busybox");
        for applet in APPLETS {
            symlink("busybox", rootfs.join("bin").join(applet)).expect("applet link");
        }
        fs::write(rootfs.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
        fs::write(rootfs.join("etc/group"), "root:x:0:\n").expect("group");
        let out = self.cmd(&["spec", "--bundle", b.to_str().expect("utf-8 path")]);
        assert_eq!(out.code, 0, "runsc spec: {out:?}");
        let path = b.join("config.json");
        let mut spec: Value = serde_json::from_str(&read(&path)).expect("runsc spec writes JSON");
        spec["process"]["terminal"] = Value::Bool(false);
        spec["process"]["args"] = args.iter().map(|a| Value::String(a.to_string())).collect();
        edit(&mut spec);
        fs::write(&path, serde_json::to_string_pretty(&spec).expect("JSON")).expect("config.json");
        b
    }

    /// `runsc create` of `bundle` as `id`; the container's stdout and stderr are `<id>.out/.err`.
    pub fn create(&self, bundle: &Path, id: &str, extra: &[&str]) -> Out {
        let mut args = vec!["create", "--bundle", bundle.to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        args.push(id);
        let mut child = self.spawn(&args, &[], id);
        let code = wait_limit(&mut child, COMMAND_LIMIT);
        Out {
            code,
            stdout: read(&self.dir.join(format!("{id}.out"))),
            stderr: read(&self.dir.join(format!("{id}.err"))),
        }
    }

    pub fn state(&self, id: &str) -> Value {
        let out = self.cmd(&["state", id]);
        assert_eq!(out.code, 0, "runsc state {id}: {out:?}");
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("runsc state {id}: not JSON ({e}): {}", out.stdout))
    }

    /// Poll the state until it says `status` (or fail after a few seconds).
    pub fn await_status(&self, id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // It may not exist yet (a `run` still creating it).
            let out = self.cmd(&["state", id]);
            let s: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
            if s["status"] == status {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "{id} never became {status}: {out:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The container's own output so far.
    pub fn output(&self, id: &str) -> String {
        read(&self.dir.join(format!("{id}.out")))
    }

    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }
}

pub fn read(p: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = fs::File::open(p) {
        let _ = f.read_to_string(&mut s);
    }
    s
}

/// Wait for `child`, killing it after `limit`; its shell-style status.
pub fn wait_limit(child: &mut Child, limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            use std::os::unix::process::ExitStatusExt;
            return st.code().unwrap_or_else(|| 128 + st.signal().unwrap_or(0));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("runsc took longer than {}s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The OCI state schema: ociVersion, id, status, pid (while it exists), bundle.
pub fn check_state(s: &Value, id: &str, status: &str, bundle: &Path) {
    assert!(
        s["ociVersion"]
            .as_str()
            .is_some_and(|v| v.starts_with("1.")),
        "ociVersion: {s}"
    );
    assert_eq!(s["id"], id, "{s}");
    assert_eq!(s["status"], status, "{s}");
    assert_eq!(
        s["bundle"].as_str().map(PathBuf::from),
        Some(fs::canonicalize(bundle).expect("bundle")),
        "{s}"
    );
    let pid = s["pid"].as_i64().unwrap_or(-1);
    if status == "stopped" {
        assert_eq!(pid, 0, "a stopped container has no pid: {s}");
    } else {
        assert!(pid > 0, "a {status} container has a pid: {s}");
    }
}

/// Field 3 (state) of /proc/PID/stat and the parent.
pub fn stat(pid: i32) -> Option<(char, i32)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest: Vec<&str> = text[text.rfind(')')? + 1..].split_whitespace().collect();
    Some((rest.first()?.chars().next()?, rest.get(1)?.parse().ok()?))
}

pub fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|(state, _)| !matches!(state, 'Z' | 'X'))
}

/// Live descendants of this process (sandboxes, stubs, gofers, watchers).
pub fn live_descendants() -> BTreeSet<i32> {
    let mut parent_of = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) {
            if let Some((state, ppid)) = stat(pid) {
                if !matches!(state, 'Z' | 'X') {
                    parent_of.push((pid, ppid));
                }
            }
        }
    }
    let mut found = BTreeSet::new();
    let mut frontier = vec![std::process::id() as i32];
    while let Some(p) = frontier.pop() {
        for &(pid, ppid) in &parent_of {
            if ppid == p && found.insert(pid) {
                frontier.push(pid);
            }
        }
    }
    found
}

/// Wait (briefly) until nothing is left below this process.
pub fn assert_nothing_left(what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        reap();
        let left = live_descendants();
        if left.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            let names: Vec<String> = left
                .iter()
                .map(|p| {
                    format!(
                        "{p}: {}",
                        read(Path::new(&format!("/proc/{p}/cmdline"))).replace('\0', " ")
                    )
                })
                .collect();
            panic!("{what}: processes left behind: {names:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn reap() {
    loop {
        let mut status = 0;
        // SAFETY: waitpid with a valid out-pointer; WNOHANG never blocks.
        if unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } <= 0 {
            break;
        }
    }
}

/// Wait for adopted process `pid` (a child of ours through the subreaper); its shell status.
pub fn wait_adopted(pid: i32, limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        let mut status = 0;
        // SAFETY: waitpid with a valid out-pointer; WNOHANG never blocks.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            };
        }
        assert!(r == 0, "process {pid} is not a child of the test");
        assert!(Instant::now() < deadline, "process {pid} did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}
