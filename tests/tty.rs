//! Job control on a terminal. Each test runs a program on a fresh host pseudo-terminal
//! (the program leads a new session with the terminal as its controlling terminal, as a
//! login shell does), types at it, and checks what the terminal shows — natively first
//! (the ground truth) and then under `runsc do`, where the keys ^C, ^Z reach runsc as host
//! signals that it forwards into the sandbox, and the sandboxed shell's job control runs
//! on the sandbox's own view of the terminal.
//!
//! With `RVISOR_NATIVE_ONLY=1` both runs are native.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rvisor_tests::config::Config;
use rvisor_tests::process::shell_status;

/// The prompt the shells are given, easy to find in the transcript.
const PROMPT: &str = "rvt> ";
/// How long to wait for something that should show up promptly.
const PATIENCE: Duration = Duration::from_secs(20);

/// A program running on the slave side of a pseudo-terminal; we hold the master.
struct OnPty {
    child: Child,
    master: File,
    output: Arc<Mutex<Vec<u8>>>,
}

fn openpty() -> (OwnedFd, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty writes two fds to valid out-pointers; the name, termios and winsize
    // arguments may be null.
    let r = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty: {}", std::io::Error::last_os_error());
    for fd in [master, slave] {
        // SAFETY: fcntl on fds we own. Children of tests running in parallel must not
        // inherit them (Command dup2s the slave into the child's stdio, clearing the flag).
        unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
    }
    // SAFETY: openpty succeeded: both fds are open and ours alone.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

impl OnPty {
    fn spawn(argv: &[String]) -> OnPty {
        let (master, slave) = openpty();
        let stdio = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup of the pty slave"));
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .env("PS1", PROMPT)
            .env("TERM", "dumb")
            .current_dir("/")
            .stdin(stdio(&slave))
            .stdout(stdio(&slave))
            .stderr(stdio(&slave));
        // SAFETY: between fork and exec the closure only makes async-signal-safe calls
        // (setsid, ioctl) on the child's own fds.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", argv[0]));
        drop(slave);
        let master = File::from(master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("dup of the pty master");
        let sink = output.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once every slave fd is closed: the program is gone.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        OnPty {
            child,
            master,
            output,
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.master
            .write_all(bytes)
            .expect("write to the pty master");
    }

    fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Wait until the transcript has `what` at least `count` times; false on time-out.
    fn wait_for(&self, what: &str, count: usize, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if self.transcript().matches(what).count() >= count {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Wait for the program to end (killing it after `limit`); its shell-style status.
    fn finish(mut self, limit: Duration) -> (i32, String) {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().expect("wait for the program") {
                return (shell_status(st), self.transcript());
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the program did not end; transcript:\n{}",
                    self.transcript()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The command lines to compare: native, then sandboxed (or native again).
fn sides(argv: &[&str]) -> Vec<(&'static str, Vec<String>)> {
    let cfg = Config::from_env();
    let native: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let other = if cfg.native_only {
        native.clone()
    } else {
        cfg.sandbox_argv(&native)
    };
    vec![("native", native), (cfg.other_side(), other)]
}

/// ^C while an interactive shell runs `sleep 10` in the foreground ends the sleep (the
/// sleep's process group is the terminal's foreground group); the shell lives on.
#[test]
fn ctrl_c_interrupts_foreground_job() {
    for (side, argv) in sides(&["/bin/busybox", "sh", "-i"]) {
        let mut p = OnPty::spawn(&argv);
        assert!(
            p.wait_for(PROMPT, 1, PATIENCE),
            "{side}: no prompt:\n{}",
            p.transcript()
        );
        p.send(b"echo started; sleep 10\n");
        assert!(
            p.wait_for("\nstarted", 1, PATIENCE),
            "{side}: no echo:\n{}",
            p.transcript()
        );
        // Let the shell fork the sleep and hand it the terminal.
        thread::sleep(Duration::from_millis(1000));
        let pressed = Instant::now();
        p.send(b"\x03");
        p.send(b"echo alive\n");
        let alive = p.wait_for("\nalive", 1, PATIENCE);
        let took = pressed.elapsed();
        p.send(b"exit\n");
        let (status, out) = p.finish(PATIENCE);
        assert!(
            alive,
            "{side}: the shell did not come back after ^C:\n{out}"
        );
        assert!(
            took < Duration::from_secs(8),
            "{side}: ^C did not interrupt the sleep ({took:?}):\n{out}"
        );
        assert_eq!(status, 0, "{side}: the shell's exit status:\n{out}");
    }
}

/// ^C at a program with no handler that leads its session ends it: natively SIGINT kills
/// it (status 130); under runsc the forwarded SIGINT ends the sandbox the same way.
#[test]
fn ctrl_c_ends_a_plain_program() {
    for (side, argv) in sides(&["/bin/busybox", "sleep", "30"]) {
        let mut p = OnPty::spawn(&argv);
        thread::sleep(Duration::from_millis(1500));
        p.send(b"\x03");
        let (status, out) = p.finish(PATIENCE);
        assert_eq!(
            status,
            128 + libc::SIGINT,
            "{side}: exit status after ^C:\n{out}"
        );
    }
}

/// Job control inside the shell: ^Z stops the foreground job and `fg` resumes it; a
/// background job that reads the terminal is stopped by SIGTTIN; one that changes the
/// terminal's settings is stopped by SIGTTOU.
#[test]
fn background_jobs_stop_on_the_terminal() {
    for (side, argv) in sides(&["/bin/busybox", "sh", "-i"]) {
        let mut p = OnPty::spawn(&argv);
        assert!(
            p.wait_for(PROMPT, 1, PATIENCE),
            "{side}: no prompt:\n{}",
            p.transcript()
        );
        let mut prompts = 1;
        let mut step = |p: &mut OnPty, input: &[u8], settle: bool| {
            p.send(input);
            prompts += 1;
            let ok = p.wait_for(PROMPT, prompts, PATIENCE);
            assert!(
                ok,
                "{side}: no prompt after {:?}:\n{}",
                String::from_utf8_lossy(input),
                p.transcript()
            );
            if settle {
                thread::sleep(Duration::from_millis(500));
            }
        };
        p.send(b"cat\n");
        thread::sleep(Duration::from_millis(1000));
        step(&mut p, b"\x1a", false);
        step(&mut p, b"jobs\n", false);
        p.send(b"fg\n");
        thread::sleep(Duration::from_millis(1000));
        p.send(b"resumed\n");
        assert!(
            p.wait_for("resumed", 2, PATIENCE),
            "{side}: cat did not resume:\n{}",
            p.transcript()
        );
        step(&mut p, b"\x03", false);
        step(&mut p, b"cat &\n", true);
        step(&mut p, b"jobs\n", false);
        step(&mut p, b"kill -9 %%\n", true);
        step(&mut p, b"stty -echo &\n", true);
        step(&mut p, b"jobs\n", false);
        step(&mut p, b"kill -9 %%\n", true);
        // Let the shell collect the killed job, or it refuses to exit ("You have stopped jobs").
        step(&mut p, b"\n", true);
        p.send(b"exit\n");
        let (status, out) = p.finish(PATIENCE);
        assert_eq!(status, 0, "{side}: the shell's exit status:\n{out}");
        for want in [
            "Stopped                    cat",
            "Stopped (tty input)        cat",
            "Stopped (tty output)       stty -echo",
        ] {
            assert!(out.contains(want), "{side}: no {want:?} in:\n{out}");
        }
    }
}
