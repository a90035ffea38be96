//! Signal dispositions and default actions.

use abi::signal::*;
use parking_lot::Mutex;

/// What a signal does when its handler is SIG_DFL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    Core,
    Stop,
    Continue,
    Ignore,
}

pub fn default_action(sig: i32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGCONT => DefaultAction::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::Core,
        _ => DefaultAction::Terminate,
    }
}

/// The signal handler table (shared by CLONE_SIGHAND).
#[derive(Debug)]
pub struct SigHand {
    pub actions: Mutex<[KernelSigaction; 64]>,
}

impl Default for SigHand {
    fn default() -> Self {
        SigHand {
            actions: Mutex::new([KernelSigaction::default(); 64]),
        }
    }
}

impl SigHand {
    pub fn get(&self, sig: i32) -> KernelSigaction {
        if (1..=64).contains(&sig) {
            self.actions.lock()[(sig - 1) as usize]
        } else {
            KernelSigaction::default()
        }
    }

    pub fn copy(&self) -> SigHand {
        SigHand {
            actions: Mutex::new(*self.actions.lock()),
        }
    }
}

/// How a process ended, as wait(2) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled { sig: i32, core: bool },
}

impl ExitStatus {
    /// The wait status word.
    pub fn wait_status(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => (c & 0xff) << 8,
            ExitStatus::Signaled { sig, core } => (sig & 0x7f) | if core { 0x80 } else { 0 },
        }
    }

    /// The status a shell would report: the code, or 128 + signal.
    pub fn shell_status(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c & 0xff,
            ExitStatus::Signaled { sig, .. } => 128 + sig,
        }
    }
}
