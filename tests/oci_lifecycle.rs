//! The OCI runtime commands, driven as Docker and containerd drive runc: bundles built from
//! scratch in a temporary directory (a root filesystem of busybox-static and its applets,
//! config.json from `runsc spec`, edited), then create → start → kill → delete and the
//! rest, checking the state JSON against the OCI state schema, exit statuses, exec, the
//! console socket protocol, and that nothing is left behind: no process, no state
//! directory, no socket.
//!
//! The test process makes itself a child subreaper: a sandbox outlives the `runsc create`
//! that started it, so it is re-parented here, and whatever survives a `delete` is found
//! among this process's descendants. The tests take a lock, so one runs at a time and one
//! test's sandboxes are not mistaken for another's. With `RVISOR_NATIVE_ONLY=1` they are
//! skipped.

mod oci_env;

use std::fs;
use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::{Duration, Instant};

use oci_env::*;
use serde_json::Value;

#[test]
fn create_start_kill_delete() {
    let Some(e) = env("lifecycle") else { return };
    let b = e.bundle(
        "b",
        &["sh", "-c", "echo started; hostname; sleep 100"],
        |s| s["hostname"] = "box".into(),
    );
    let pid_file = e.dir.join("sandbox.pid");
    let out = e.create(&b, "c1", &["--pid-file", pid_file.to_str().expect("path")]);
    assert_eq!(out.code, 0, "create: {out:?}");
    let s = e.state("c1");
    check_state(&s, "c1", "created", &b);
    let pid = s["pid"].as_i64().expect("pid") as i32;
    assert_eq!(
        read(&pid_file).trim(),
        pid.to_string(),
        "--pid-file has the sandbox's pid"
    );
    assert!(alive(pid), "the sandbox process runs");
    assert!(e.container_dir("c1").join("sandbox.sock").exists());
    assert_eq!(e.output("c1"), "", "nothing runs before start");

    let out = e.cmd(&["start", "c1"]);
    assert_eq!(out.code, 0, "start: {out:?}");
    check_state(&e.state("c1"), "c1", "running", &b);
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.output("c1") != "started\nbox\n" {
        assert!(
            Instant::now() < deadline,
            "container output: {:?}",
            e.output("c1")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = e.cmd(&["start", "c1"]);
    assert_ne!(out.code, 0, "a second start fails");

    let out = e.cmd(&["kill", "c1", "KILL"]);
    assert_eq!(out.code, 0, "kill: {out:?}");
    let s = e.await_status("c1", "stopped");
    check_state(&s, "c1", "stopped", &b);
    let out = e.cmd(&["wait", "c1"]);
    assert_eq!(out.code, 0, "wait: {out:?}");
    let w: Value = serde_json::from_str(&out.stdout).expect("wait prints JSON");
    assert_eq!(w["exitStatus"], 137, "SIGKILL: 128+9");

    let out = e.cmd(&["delete", "c1"]);
    assert_eq!(out.code, 0, "delete: {out:?}");
    assert!(
        !e.container_dir("c1").exists(),
        "the state directory is gone"
    );
    let out = e.cmd(&["state", "c1"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("does not exist"), "{out:?}");
    assert!(!alive(pid));
    assert_nothing_left("after delete");
}

#[test]
fn run_passes_exit_status_on() {
    let Some(e) = env("run") else { return };
    let b = e.bundle(
        "b",
        &["sh", "-c", "echo out; echo err >&2; exit 42"],
        |_| {},
    );
    let out = e.cmd(&["run", "--bundle", b.to_str().expect("path"), "r1"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (42, "out\n", "err\n"),
        "{out:?}"
    );
    assert!(
        !e.container_dir("r1").exists(),
        "run deletes the container after it exits"
    );

    // Killed by a signal: 128+N.
    let b = e.bundle("b2", &["sleep", "100"], |_| {});
    let mut run = e.spawn(
        &["run", "--bundle", b.to_str().expect("path"), "r2"],
        &[],
        "r2",
    );
    e.await_status("r2", "running");
    assert_eq!(e.cmd(&["kill", "r2", "9"]).code, 0);
    assert_eq!(wait_limit(&mut run, COMMAND_LIMIT), 137);
    assert!(!e.container_dir("r2").exists());

    // A program that does not exist: the error, and nothing left.
    let b = e.bundle("b3", &["no-such-program"], |_| {});
    let out = e.cmd(&["run", "--bundle", b.to_str().expect("path"), "r3"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("no-such-program: No such file or directory"),
        "{out:?}"
    );
    assert!(!e.container_dir("r3").exists());
    assert_nothing_left("after run");
}

#[test]
fn process_settings_reach_the_container() {
    let Some(e) = env("settings") else { return };
    let script = "ulimit -n; ulimit -Hn; id; hostname; pwd; echo $GREETING";
    let b = e.bundle("b", &["sh", "-c", script], |s| {
        s["hostname"] = "inside".into();
        s["process"]["cwd"] = "/tmp".into();
        s["process"]["env"] = serde_json::json!(["PATH=/bin", "GREETING=hi"]);
        s["process"]["user"] =
            serde_json::json!({"uid": 1000, "gid": 1000, "additionalGids": [5, 6]});
        s["process"]["rlimits"] =
            serde_json::json!([{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]);
        s["annotations"] = serde_json::json!({"org.example.unknown": "ignored"});
    });
    let out = e.cmd(&["run", "--bundle", b.to_str().expect("path"), "s1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout, "100\n200\nuid=1000 gid=1000 groups=5,6\ninside\n/tmp\nhi\n",
        "{out:?}"
    );
    assert_nothing_left("after run");
}

#[test]
fn exec_into_running_container() {
    let Some(e) = env("exec") else { return };
    let b = e.bundle("b", &["sleep", "100"], |s| {
        s["process"]["env"] = serde_json::json!(["PATH=/bin", "FROM_SPEC=yes"])
    });
    assert_eq!(e.create(&b, "x1", &[]).code, 0);
    let out = e.cmd(&["exec", "x1", "sh", "-c", "echo early"]);
    assert_ne!(out.code, 0, "no exec before start: {out:?}");
    assert_eq!(e.cmd(&["start", "x1"]).code, 0);

    let out = e.cmd(&[
        "exec",
        "-e",
        "FOO=bar",
        "--cwd",
        "/tmp",
        "x1",
        "sh",
        "-c",
        "echo $FOO $FROM_SPEC; pwd; exit 5",
    ]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (5, "bar yes\n/tmp\n"),
        "{out:?}"
    );

    let process = e.dir.join("process.json");
    fs::write(
        &process,
        r#"{"user":{"uid":1000,"gid":1000},"cwd":"/","args":["id"],"env":["PATH=/bin"]}"#,
    )
    .expect("process.json");
    let out = e.cmd(&["exec", "--process", process.to_str().expect("path"), "x1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("uid=1000 gid=1000"), "{out:?}");

    // Detached: the pid file names a watcher that exits with the process's status.
    let pid_file = e.dir.join("exec.pid");
    let out = e.cmd(&[
        "exec",
        "--detach",
        "--pid-file",
        pid_file.to_str().expect("path"),
        "x1",
        "sh",
        "-c",
        "sleep 0.5; exit 3",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let ps = e.cmd(&["ps", "--format", "json", "x1"]);
    assert_eq!(ps.code, 0, "{ps:?}");
    let procs: Value = serde_json::from_str(&ps.stdout).expect("ps JSON");
    let cmdlines: Vec<String> = procs
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["cmdline"].to_string())
        .collect();
    assert!(
        cmdlines.iter().any(|c| c.contains("sleep 0.5; exit 3")),
        "ps shows the exec'd process: {cmdlines:?}"
    );
    let watcher: i32 = read(&pid_file).trim().parse().expect("pid in the pid file");
    assert_eq!(
        wait_adopted(watcher, COMMAND_LIMIT),
        3,
        "the watcher exits with the process's status"
    );

    // Exec'd processes are not init's children, and init keeps running.
    check_state(&e.state("x1"), "x1", "running", &b);
    assert_eq!(e.cmd(&["delete", "--force", "x1"]).code, 0);
    assert_nothing_left("after delete --force");
}

#[test]
fn kill_in_created_state() {
    let Some(e) = env("killcreated") else { return };
    let b = e.bundle("b", &["sh", "-c", "echo should not run"], |_| {});
    assert_eq!(e.create(&b, "k1", &[]).code, 0);
    let out = e.cmd(&["kill", "k1", "SIGTERM"]);
    assert_eq!(out.code, 0, "{out:?}");
    check_state(&e.await_status("k1", "stopped"), "k1", "stopped", &b);
    let out = e.cmd(&["wait", "k1"]);
    assert!(out.stdout.contains("\"exitStatus\":143"), "{out:?}");
    let out = e.cmd(&["start", "k1"]);
    assert_ne!(out.code, 0, "a stopped container does not start");
    assert_eq!(e.output("k1"), "");
    assert_eq!(e.cmd(&["delete", "k1"]).code, 0);
    assert!(!e.container_dir("k1").exists());
    assert_nothing_left("after delete");
}

#[test]
fn delete_force_leaves_nothing() {
    let Some(e) = env("deleteforce") else { return };
    let b = e.bundle("b", &["sh", "-c", "sleep 100 & sleep 100"], |_| {});
    assert_eq!(e.create(&b, "f1", &[]).code, 0);
    assert_eq!(e.cmd(&["start", "f1"]).code, 0);
    let pid = e.state("f1")["pid"].as_i64().expect("pid") as i32;
    assert!(
        live_descendants().len() >= 2,
        "a sandbox and its helper processes run"
    );
    let out = e.cmd(&["delete", "f1"]);
    assert_eq!(
        out.code, 1,
        "a running container is not deleted without --force: {out:?}"
    );
    assert!(out.stderr.contains("running"), "{out:?}");

    assert_eq!(e.cmd(&["pause", "f1"]).code, 0);
    check_state(&e.state("f1"), "f1", "paused", &b);
    let out = e.cmd(&["delete", "--force", "f1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!alive(pid));
    assert!(
        !e.container_dir("f1").exists(),
        "no state directory, no socket"
    );
    let mounts = read(Path::new("/proc/self/mountinfo"));
    assert!(
        !mounts.contains(e.dir.to_str().expect("path")),
        "no mount left: {mounts}"
    );
    assert_nothing_left("after delete --force");
    assert_eq!(
        e.cmd(&["delete", "--force", "f1"]).code,
        0,
        "--force: no error for a missing container"
    );
    assert_eq!(e.cmd(&["delete", "f1"]).code, 1);
}

#[test]
fn malformed_config_gives_one_clear_line() {
    let Some(e) = env("malformed") else { return };
    let b = e.bundle("b", &["true"], |_| {});
    let config = b.join("config.json");
    let good = read(&config);
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "EOF while parsing"),
        (String::new(), "empty"),
        (
            "{\"ociVersion\": \"1.0.2\", \"process\": }".into(),
            "invalid JSON",
        ),
        (
            good.replace("\"root\"", "\"notroot\""),
            "\"root\" is missing",
        ),
        (
            good.replace("\"rootfs\"", "\"nowhere\""),
            "nowhere: No such file or directory",
        ),
        (
            good.replace("\"args\"", "\"notargs\""),
            "process.args is missing",
        ),
        (good.replace("\"cwd\"", "\"notcwd\""), "missing field `cwd`"),
    ];
    let before = live_descendants();
    for (text, want) in cases {
        fs::write(&config, &text).expect("config.json");
        let log = e.dir.join("log.json");
        let _ = fs::remove_file(&log);
        let out = e.cmd_with(
            &["create", "--bundle", b.to_str().expect("path"), "m1"],
            &["--log", log.to_str().expect("path"), "--log-format", "json"],
        );
        assert_eq!(out.code, 1, "{want}: {out:?}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line for {want}: {out:?}");
        assert!(
            lines[0].starts_with("runsc: ") && lines[0].contains(want),
            "{want}: {out:?}"
        );
        assert!(lines[0].trim() != "EOF" && lines[0].len() > 20, "{out:?}");
        // containerd reads the reason back from the JSON log.
        let entry: Value = serde_json::from_str(read(&log).lines().last().unwrap_or(""))
            .expect("one JSON line in --log");
        assert_eq!(entry["level"], "error");
        assert!(
            entry["msg"].as_str().is_some_and(|m| m.contains(want)),
            "{entry}"
        );
        assert!(
            !e.container_dir("m1").exists(),
            "nothing left behind for {want}"
        );
    }
    // An error in the sandbox process, while it boots, reaches the caller the same way.
    fs::write(&config, &good).expect("config.json");
    let out = e.cmd_with(
        &["create", "--bundle", b.to_str().expect("path"), "m2"],
        &["--overlay2=bogus"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("bogus"), "{out:?}");
    assert!(!e.container_dir("m2").exists());
    reap();
    assert_eq!(live_descendants(), before);
    let out = e.cmd(&["create", "--bundle", b.to_str().expect("path"), "bad/id"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("invalid container id"), "{out:?}");
}

#[test]
fn list_ps_events_pause_resume() {
    let Some(e) = env("list") else { return };
    let b = e.bundle(
        "b",
        &[
            "sh",
            "-c",
            "i=0; while true; do i=$((i+1)); echo $i; sleep 0.02; done",
        ],
        |_| {},
    );
    assert_eq!(e.create(&b, "l1", &[]).code, 0);
    assert_eq!(e.create(&b, "l2", &[]).code, 0);
    assert_eq!(e.cmd(&["start", "l1"]).code, 0);

    let out = e.cmd(&["list"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0]
            .split_whitespace()
            .eq(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]),
        "{out:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("l1 ") && l.contains(" running ")),
        "{out:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("l2 ") && l.contains(" created ")),
        "{out:?}"
    );
    let out = e.cmd(&["list", "--format", "json"]);
    let all: Value = serde_json::from_str(&out.stdout).expect("list JSON");
    let ids: Vec<&str> = all
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(ids, ["l1", "l2"]);
    for c in all.as_array().expect("array") {
        check_state(
            c,
            c["id"].as_str().expect("id"),
            c["status"].as_str().expect("status"),
            &b,
        );
    }

    let out = e.cmd(&["ps", "l1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .lines()
            .next()
            .is_some_and(|h| h.contains("PID") && h.contains("CMD")),
        "{out:?}"
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some("1") && l.contains("sh -c")),
        "init is pid 1: {out:?}"
    );

    let out = e.cmd(&["events", "--stats", "l1"]);
    let ev: Value = serde_json::from_str(&out.stdout).expect("events JSON");
    assert_eq!(ev["type"], "stats");
    assert!(
        ev["data"]["memory"]["usage"]["usage"]
            .as_u64()
            .is_some_and(|m| m > 0),
        "{ev}"
    );
    assert!(
        ev["data"]["pids"]["current"]
            .as_u64()
            .is_some_and(|n| n >= 1),
        "{ev}"
    );

    // Paused: the counter stops; resumed: it goes on.
    assert_eq!(e.cmd(&["pause", "l1"]).code, 0);
    // A write already in the Sentry may still finish.
    std::thread::sleep(Duration::from_millis(50));
    let n = e.output("l1").lines().count();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        e.output("l1").lines().count(),
        n,
        "nothing runs while paused"
    );
    assert_eq!(e.cmd(&["resume", "l1"]).code, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while e.output("l1").lines().count() <= n + 2 {
        assert!(
            Instant::now() < deadline,
            "the container goes on after resume"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(e.cmd(&["delete", "--force", "l1"]).code, 0);
    assert_eq!(e.cmd(&["delete", "l2"]).code, 0);
    assert_eq!(e.cmd(&["list", "-q"]).stdout, "");
    assert_nothing_left("after delete");
}

#[test]
fn terminal_through_console_socket() {
    let Some(e) = env("console") else { return };
    let b = e.bundle("b", &["sh", "-c", "stty size; echo on the terminal"], |s| {
        s["process"]["terminal"] = Value::Bool(true);
        s["process"]["consoleSize"] = serde_json::json!({"height": 25, "width": 91});
    });
    // Short enough for sockaddr_un wherever the build directory is.
    let sock_path =
        std::env::temp_dir().join(format!("rvisor-console-{}.sock", std::process::id()));
    let _ = fs::remove_file(&sock_path);
    let listener = UnixListener::bind(&sock_path).expect("console socket");
    let out = e.create(&b, "t1", &[]);
    assert_eq!(out.code, 1, "a terminal needs --console-socket: {out:?}");
    let out = e.create(
        &b,
        "t1",
        &["--console-socket", sock_path.to_str().expect("path")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let (conn, _) = listener.accept().expect("runsc connects");
    let (name, master) = recv_fd(&conn);
    assert_eq!(name, b"/dev/ptmx", "runc's console message");
    assert_eq!(e.cmd(&["start", "t1"]).code, 0);
    let mut text = Vec::new();
    let mut f = fs::File::from(master);
    let mut buf = [0u8; 1024];
    // Read until the slave side closes (EIO), which happens when the container exits.
    while let Ok(n) = f.read(&mut buf) {
        if n == 0 {
            break;
        }
        text.extend_from_slice(&buf[..n]);
    }
    assert_eq!(
        String::from_utf8_lossy(&text),
        "25 91\r\non the terminal\r\n"
    );
    let out = e.cmd(&["wait", "t1"]);
    assert!(out.stdout.contains("\"exitStatus\":0"), "{out:?}");
    assert_eq!(e.cmd(&["delete", "t1"]).code, 0);
    let _ = fs::remove_file(&sock_path);
    assert_nothing_left("after delete");
}

/// A resize of the console (what Docker's shim does when the user's window changes) reaches
/// the container: SIGWINCH to its foreground job, and the new size from TIOCGWINSZ.
#[test]
fn terminal_resize_reaches_the_container() {
    let Some(e) = env("resize") else { return };
    let script = "trap 'stty size' WINCH; echo ready; while true; do sleep 0.2; done";
    let b = e.bundle("b", &["sh", "-c", script], |s| {
        s["process"]["terminal"] = Value::Bool(true);
        s["process"]["consoleSize"] = serde_json::json!({"height": 25, "width": 80});
    });
    let sock_path = std::env::temp_dir().join(format!("rvisor-resize-{}.sock", std::process::id()));
    let _ = fs::remove_file(&sock_path);
    let listener = UnixListener::bind(&sock_path).expect("console socket");
    let out = e.create(
        &b,
        "w1",
        &["--console-socket", sock_path.to_str().expect("path")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let (conn, _) = listener.accept().expect("runsc connects");
    let (_, master) = recv_fd(&conn);
    assert_eq!(e.cmd(&["start", "w1"]).code, 0);
    let mut console = Transcript::follow(&master);
    let seen = |what: &str| console.seen(what);
    assert!(
        seen("ready"),
        "the container did not start: {:?}",
        console.text()
    );
    let ws = libc::winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads a winsize from a valid pointer; the fd is the pty master.
    let r = unsafe {
        libc::ioctl(
            std::os::fd::AsRawFd::as_raw_fd(&master),
            libc::TIOCSWINSZ,
            &ws,
        )
    };
    assert_eq!(r, 0, "TIOCSWINSZ on the master");
    let resized = seen("30 100");
    assert_eq!(e.cmd(&["kill", "w1", "KILL"]).code, 0);
    e.await_status("w1", "stopped");
    assert_eq!(e.cmd(&["delete", "w1"]).code, 0);
    drop(master);
    console.finish();
    let _ = fs::remove_file(&sock_path);
    assert!(
        resized,
        "no new size after the resize: {:?}",
        console.text()
    );
    assert_nothing_left("after delete");
}

/// `exec --tty`: the exec'd shell gets a terminal of its own through the console socket,
/// and ^C typed there interrupts its foreground job (not the shell, not the container).
#[test]
fn exec_tty_ctrl_c_interrupts_the_foreground_job() {
    let Some(e) = env("exectty") else { return };
    let b = e.bundle("b", &["sleep", "100"], |_| {});
    assert_eq!(e.create(&b, "e1", &[]).code, 0);
    assert_eq!(e.cmd(&["start", "e1"]).code, 0);
    let sock_path =
        std::env::temp_dir().join(format!("rvisor-exectty-{}.sock", std::process::id()));
    let _ = fs::remove_file(&sock_path);
    let listener = UnixListener::bind(&sock_path).expect("console socket");
    let sock = sock_path.to_str().expect("path");
    let mut exec = e.spawn(
        &["exec", "--tty", "--console-socket", sock, "e1", "sh"],
        &[],
        "exec",
    );
    let (conn, _) = listener.accept().expect("runsc exec connects");
    let (_, master) = recv_fd(&conn);
    let mut console = Transcript::follow(&master);
    let seen = |what: &str| console.seen(what);
    let mut m = fs::File::from(master);
    let mut typed = |bytes: &[u8]| std::io::Write::write_all(&mut m, bytes).expect("typing");
    typed(b"echo sta\"\"rted\r");
    assert!(seen("started\r\n"), "no shell: {:?}", console.text());
    typed(b"sleep 100; echo no-int\r");
    std::thread::sleep(Duration::from_millis(500));
    let t0 = Instant::now();
    typed(b"\x03");
    typed(b"echo after-\"\"int\r");
    let interrupted = seen("after-int\r\n");
    typed(b"exit 3\r");
    let code = wait_limit(&mut exec, COMMAND_LIMIT);
    let took = t0.elapsed();
    drop(m);
    console.finish();
    let transcript = console.text();
    assert!(
        interrupted && took < Duration::from_secs(30),
        "^C did not interrupt: {transcript:?}"
    );
    assert_eq!(code, 3, "exec's status is the shell's: {transcript:?}");
    // The container's own process is untouched.
    check_state(&e.state("e1"), "e1", "running", &b);
    assert_eq!(e.cmd(&["delete", "--force", "e1"]).code, 0);
    let _ = fs::remove_file(&sock_path);
    assert_nothing_left("after delete --force");
}

/// What a pty master reads, collected by a thread until the slave side closes.
struct Transcript {
    text: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Transcript {
    fn follow(master: &std::os::fd::OwnedFd) -> Transcript {
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut f = fs::File::from(master.try_clone().expect("dup of the master"));
        let sink = text.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = f.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = sink.lock().unwrap_or_else(|e| e.into_inner());
                t.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Transcript {
            text,
            reader: Some(reader),
        }
    }

    fn text(&self) -> String {
        self.text.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether `what` shows up within 20 seconds.
    fn seen(&self, what: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.text().contains(what) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Wait for the reader (the master must be closed or the slave gone).
    fn finish(&mut self) {
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// One message with one fd (SCM_RIGHTS) from `sock`: its data and the fd.
fn recv_fd(sock: &std::os::unix::net::UnixStream) -> (Vec<u8>, std::os::fd::OwnedFd) {
    use std::os::fd::{AsRawFd, FromRawFd};
    let mut data = [0u8; 4096];
    let mut control = [0u8; 64];
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain data; zeroed is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = control.len();
    // SAFETY: msg points at buffers that live through the call.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, 0) };
    assert!(n > 0, "recvmsg: {}", std::io::Error::last_os_error());
    // SAFETY: the kernel filled msg's control buffer; CMSG_FIRSTHDR reads within it.
    let cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    assert!(!cmsg.is_null(), "no fd came with the message");
    // SAFETY: cmsg points into `control`, checked non-null above.
    let (level, kind) = unsafe { ((*cmsg).cmsg_level, (*cmsg).cmsg_type) };
    assert_eq!((level, kind), (libc::SOL_SOCKET, libc::SCM_RIGHTS));
    // SAFETY: an SCM_RIGHTS message carries at least one int after its header.
    let fd = unsafe { std::ptr::read_unaligned(libc::CMSG_DATA(cmsg) as *const i32) };
    // SAFETY: the fd was just received and is owned by nobody else.
    (data[..n as usize].to_vec(), unsafe {
        std::os::fd::OwnedFd::from_raw_fd(fd)
    })
}
