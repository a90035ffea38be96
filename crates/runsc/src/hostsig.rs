//! Host signals for a sandbox in this process: the ones runsc takes from
//! the host and passes into the sandbox (`sentry::kernel::hostsig` says
//! where each goes). They are blocked before the Sentry starts any
//! thread, so every thread — and every stub process forked from one —
//! inherits the mask and none of them is ever chosen to receive one; one
//! thread takes them with sigwaitinfo. SIGCHLD, which the ptrace platform
//! uses to interrupt stubs, stays unblocked.

use sentry::kernel::hostsig::{self, Forwarded};
use sentry::kernel::Kernel;
use std::sync::Arc;

/// The forwarded signals, blocked in this thread (and every thread it starts).
pub struct HostSignals {
    set: libc::sigset_t,
}

impl HostSignals {
    /// Block the forwarded signals in the calling thread. Call before any
    /// other thread exists.
    pub fn block() -> std::io::Result<HostSignals> {
        Self::block_these(&hostsig::FORWARDED)
    }

    /// Block `sigs` in the calling thread (and the threads it starts after).
    pub fn block_these(sigs: &[i32]) -> std::io::Result<HostSignals> {
        // SAFETY: sigset_t is plain data; sigemptyset initialises it.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid sigset_t owned by this frame.
        unsafe { libc::sigemptyset(&mut set) };
        for &sig in sigs {
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

    /// Take the blocked signals on a thread of their own and hand each to
    /// `f`, for as long as the process lives.
    pub fn on_each(self, mut f: impl FnMut(i32) + Send + 'static) -> std::io::Result<()> {
        self.on_each_from(move |sig, _| f(sig))
    }

    /// As `on_each`, with whether the signal came from this process's
    /// controlling terminal (the kernel's terminal driver sends with
    /// si_code SI_KERNEL; kill(2) and sigqueue(3) do not).
    pub fn on_each_from(
        self,
        mut f: impl FnMut(i32, bool) + Send + 'static,
    ) -> std::io::Result<()> {
        let set = self.set;
        std::thread::Builder::new()
            .name("host-signals".into())
            .spawn(move || loop {
                // SAFETY: siginfo_t is plain data; zeroed is a valid value to overwrite.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: `set` is an initialised sigset_t; `info` is a valid out-pointer.
                let sig = unsafe { libc::sigwaitinfo(&set, &mut info) };
                if sig < 0 {
                    // EINTR (a stop and continue of this process); nothing else can fail.
                    continue;
                }
                f(sig, info.si_code == libc::SI_KERNEL);
            })?;
        Ok(())
    }

    /// Pass each signal into sandbox `k`. `stop_with_init`: a stop signal
    /// that stops init stops this process too (`runsc do` on a terminal);
    /// the detached sandbox process never stops itself.
    pub fn forward_to(self, k: Arc<Kernel>, stop_with_init: bool) -> std::io::Result<()> {
        self.on_each(move |sig| {
            tracing::debug!("host signal {sig}: forwarding into the sandbox");
            if hostsig::forward(&k, sig) == Forwarded::InitStops && stop_with_init {
                // Nothing in the sandbox manages jobs: stop as a program
                // run natively would, so the host shell gets its terminal
                // back; SIGCONT (forwarded too) continues the sandbox.
                // SAFETY: raise(3) with a valid signal number.
                unsafe { libc::raise(libc::SIGSTOP) };
            }
        })
    }
}
