//! The kernel object of one sandbox: platform, memory, mounts, PID table,
//! syscall table, configuration, and the sandbox's exit.

use super::pids::PidTable;
use super::signal::ExitStatus;
use super::thread_group::ThreadGroup;
use crate::syscalls::Table;
use crate::vfs::MountNamespace;
use abi::Timespec;
use memory::MemoryFile;
use parking_lot::{Condvar, Mutex};
use platform::Platform;
use std::collections::HashSet;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Print one line per syscall to stderr.
    pub strace: bool,
    pub hostname: String,
}

pub struct Kernel {
    pub platform: Arc<dyn Platform>,
    pub mf: Arc<MemoryFile>,
    pub mounts: Arc<MountNamespace>,
    pub pids: Mutex<PidTable>,
    pub config: Config,
    pub syscalls: Table,
    /// Host monotonic time at boot: the sandbox's clock zero.
    pub boot_mono: Timespec,
    pub hostname: Mutex<Vec<u8>>,
    pub domainname: Mutex<Vec<u8>>,
    exit: Mutex<Option<ExitStatus>>,
    exit_cv: Condvar,
    logged_unimplemented: Mutex<HashSet<u64>>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kernel")
    }
}

/// The sandbox's init process is PID 1.
pub const INIT_PID: i32 = 1;

impl Kernel {
    pub fn new(config: Config, platform: Arc<dyn Platform>, mf: Arc<MemoryFile>, mounts: Arc<MountNamespace>) -> Arc<Kernel> {
        let hostname = if config.hostname.is_empty() { b"localhost".to_vec() } else { config.hostname.as_bytes().to_vec() };
        Arc::new(Kernel {
            platform,
            mf,
            mounts,
            pids: Mutex::new(PidTable::default()),
            config,
            syscalls: Table::build(),
            boot_mono: super::time::host_monotonic(),
            hostname: Mutex::new(hostname),
            domainname: Mutex::new(b"(none)".to_vec()),
            exit: Mutex::new(None),
            exit_cv: Condvar::new(),
            logged_unimplemented: Mutex::new(HashSet::new()),
        })
    }

    /// Log an unimplemented syscall once per number.
    pub fn log_unimplemented(&self, nr: u64, comm: &str) {
        if self.logged_unimplemented.lock().insert(nr) {
            let name = usize::try_from(nr).ok().and_then(|n| abi::sysno::NAMES.get(n)).copied().unwrap_or("");
            let name = if name.is_empty() { "unknown" } else { name };
            tracing::warn!("unimplemented syscall {nr} ({name}) called by {comm}: ENOSYS");
        }
    }

    /// Called when the last task of `tg` has exited.
    pub fn thread_group_exited(&self, tg: &Arc<ThreadGroup>, status: ExitStatus) {
        self.pids.lock().groups.remove(&tg.tgid);
        if tg.tgid == INIT_PID {
            // The init process ended: everything else in the sandbox dies with it.
            let others: Vec<Arc<ThreadGroup>> = self.pids.lock().groups.values().cloned().collect();
            for g in others {
                g.start_group_exit(ExitStatus::Signaled { sig: abi::signal::SIGKILL, core: false });
            }
            let mut e = self.exit.lock();
            *e = Some(status);
            self.exit_cv.notify_all();
        }
    }

    /// Wait for the sandbox's init process to exit; returns its status.
    pub fn wait_exit(&self) -> ExitStatus {
        let mut e = self.exit.lock();
        loop {
            if let Some(s) = *e {
                return s;
            }
            self.exit_cv.wait(&mut e);
        }
    }
}
