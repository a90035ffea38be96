//! Signals the host sends to the Sentry's process, passed on into the
//! sandbox. What the user types on the terminal (^C, ^\, ^Z, and a window
//! resize) reaches runsc's host process group; the sandbox's terminal
//! driver would have sent it to the foreground process group of the
//! sandbox's terminal, so that is where it goes (to init when the sandbox
//! has no terminal). Signals for the container as a whole (SIGTERM,
//! SIGHUP, SIGUSR1, SIGUSR2) go to init.
//!
//! A forwarded signal reaches init even when init has no handler for it:
//! unlike signals from inside the sandbox (which Linux's PID-namespace init
//! ignores), one from outside is the user's way to stop the sandbox, so
//! `runsc do sleep 100` ends on ^C. (gVisor delivers external signals to
//! init the same way.)
//!
//! The host side — blocking these signals in every Sentry thread before
//! any is spawned and taking them on one thread — is runsc's (it needs
//! unsafe code, which the Sentry has none of).
//!
//! May use: kernel (the pid table, sending signals, terminals).

use super::kernel::{Kernel, INIT_PID};
use super::send;
use super::signal::{default_action, DefaultAction};
use super::tty::{signal_pgrp, Tty};
use abi::signal::*;
use std::sync::Arc;

/// The signals runsc takes from the host and passes on.
pub const FORWARDED: [i32; 9] = [
    SIGINT, SIGQUIT, SIGTSTP, SIGWINCH, SIGCONT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2,
];

/// What became of a forwarded signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarded {
    /// Sent to at least one process.
    Sent,
    /// No process to send it to (an empty foreground group, init gone).
    Nobody,
    /// A stop signal that stops init: nothing in the sandbox manages jobs,
    /// so runsc should stop too and give the host shell its terminal back
    /// (it forwards SIGCONT when continued).
    InitStops,
}

/// Whether `sig` is one the terminal driver sends to the foreground group.
fn from_terminal(sig: i32) -> bool {
    matches!(sig, SIGINT | SIGQUIT | SIGTSTP | SIGWINCH | SIGCONT)
}

/// Pass host signal `sig` on into sandbox `k`.
pub fn forward(k: &Arc<Kernel>, sig: i32) -> Forwarded {
    let init = k.pids.lock().groups.get(&INIT_PID).cloned();
    let Some(init) = init.filter(|i| !i.is_zombie()) else {
        return Forwarded::Nobody;
    };
    let fg = if from_terminal(sig) {
        Tty::console(k).and_then(|t| t.foreground())
    } else {
        None
    };
    let sent = match fg {
        Some(pgrp) => signal_pgrp(k, pgrp, sig, false) > 0,
        None => {
            // From outside the sandbox: no sender pid in it (SI_USER, pid 0).
            let info = SigInfo {
                signo: sig,
                code: SI_USER,
                ..Default::default()
            };
            send::send(&init, None, info);
            true
        }
    };
    let stops_init = matches!(default_action(sig), DefaultAction::Stop)
        && init.sighand().get(sig).handler == SIG_DFL
        && unblocked_somewhere(&init, sig)
        && fg.is_none_or(|pgrp| init.pgid() == pgrp);
    match (sent, stops_init) {
        (true, true) => Forwarded::InitStops,
        (true, false) => Forwarded::Sent,
        (false, _) => Forwarded::Nobody,
    }
}

/// Whether some task of `tg` does not block `sig`.
fn unblocked_somewhere(tg: &super::ThreadGroup, sig: i32) -> bool {
    let tids: Vec<i32> = tg.tasks.lock().iter().map(|t| t.tid).collect();
    let st = tg.sig.lock();
    tids.iter().any(|&tid| !st.task(tid).mask.has(sig))
}
