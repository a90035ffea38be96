//! `runsc do CMD ARGS…`: boot a sandbox over a host directory, run one
//! command in it, exit with its status.
//!
//! Host signals (^C, ^\, ^Z on the terminal, SIGTERM, SIGHUP, SIGUSR1/2,
//! SIGWINCH, SIGCONT) are taken by one thread and passed into the sandbox
//! (`sentry::kernel::hostsig` says where each goes). They are blocked
//! before the Sentry starts any thread, so every thread — and every stub
//! process forked from one — inherits the mask and none of them is ever
//! chosen to receive one. SIGCHLD, which the ptrace platform uses to
//! interrupt stubs, stays unblocked.

use crate::cli::{Cli, DoArgs};
use sentry::boot::{boot, BootSpec};
use sentry::kernel::hostsig::{self, Forwarded};
use sentry::kernel::Kernel;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

/// The forwarded signals, blocked in this thread (and every thread it starts).
struct HostSignals {
    set: libc::sigset_t,
}

impl HostSignals {
    /// Block the forwarded signals in the calling thread. Call before any
    /// other thread exists.
    fn block() -> std::io::Result<HostSignals> {
        // SAFETY: sigset_t is plain data; sigemptyset initialises it.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid sigset_t owned by this frame.
        unsafe { libc::sigemptyset(&mut set) };
        for sig in hostsig::FORWARDED {
            // SAFETY: as above; `sig` is a valid signal number.
            unsafe { libc::sigaddset(&mut set, sig) };
        }
        // SAFETY: `set` is initialised; a null old-set pointer is allowed.
        let r = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if r != 0 {
            return Err(std::io::Error::from_raw_os_error(r));
        }
        Ok(HostSignals { set })
    }

    /// Take the blocked signals on a thread of their own and pass each
    /// into sandbox `k`, for as long as the process lives.
    fn forward_to(self, k: Arc<Kernel>) -> std::io::Result<()> {
        let set = self.set;
        std::thread::Builder::new().name("host-signals".into()).spawn(move || loop {
            // SAFETY: `set` is an initialised sigset_t; a null siginfo pointer is allowed.
            let sig = unsafe { libc::sigwaitinfo(&set, std::ptr::null_mut()) };
            if sig < 0 {
                // EINTR (a stop and continue of this process); nothing else can fail.
                continue;
            }
            tracing::debug!("host signal {sig}: forwarding into the sandbox");
            if hostsig::forward(&k, sig) == Forwarded::InitStops {
                // Nothing in the sandbox manages jobs: stop as a program
                // run natively would, so the host shell gets its terminal
                // back; SIGCONT (forwarded too) continues the sandbox.
                // SAFETY: raise(3) with a valid signal number.
                unsafe { libc::raise(libc::SIGSTOP) };
            }
        })?;
        Ok(())
    }
}

pub fn run(cli: &Cli, args: &DoArgs) -> i32 {
    if cli.platform != "ptrace" {
        eprintln!("runsc: platform {:?} is not available (available: ptrace)", cli.platform);
        return 125;
    }
    let cwd = match &args.cwd {
        Some(c) => c.clone(),
        None => std::env::current_dir().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| "/".into()),
    };
    let envp: Vec<Vec<u8>> = std::env::vars_os()
        .map(|(k, v)| {
            let mut e = k.as_bytes().to_vec();
            e.push(b'=');
            e.extend_from_slice(v.as_bytes());
            e
        })
        .collect();
    let spec = BootSpec {
        root_dir: args.root.clone().into(),
        argv: args.command.iter().map(|s| s.as_bytes().to_vec()).collect(),
        envp,
        cwd: cwd.into_bytes(),
        uid: rustix::process::getuid().as_raw(),
        gid: rustix::process::getgid().as_raw(),
        strace: cli.strace,
    };
    let signals = match HostSignals::block() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("runsc: blocking host signals: {e}");
            return 125;
        }
    };
    match boot(spec) {
        Ok(k) => {
            if let Err(e) = signals.forward_to(k.clone()) {
                eprintln!("runsc: host signals will not reach the sandbox: {e}");
            }
            k.wait_exit().shell_status()
        }
        Err(e) => {
            eprintln!("runsc: {e}");
            127
        }
    }
}
