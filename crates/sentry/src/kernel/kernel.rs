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
    /// The vDSO every exec maps (none in kernels built without boot).
    pub vdso: std::sync::OnceLock<Arc<crate::vdso::Vdso>>,
    pub hostname: Mutex<Vec<u8>>,
    pub domainname: Mutex<Vec<u8>>,
    /// System V IPC objects (the sandbox's one IPC namespace).
    pub ipc: Arc<super::ipc::IpcNamespace>,
    exit: Mutex<Option<ExitStatus>>,
    exit_cv: Condvar,
    logged_unimplemented: Mutex<HashSet<u64>>,
    /// `runsc pause`: parks every task before it runs application code.
    pub freezer: super::freeze::Freezer,
    /// Bound Unix socket names (abstract and filesystem) of this sandbox.
    pub unix: Arc<crate::net::unix::UnixNamespace>,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kernel")
    }
}

/// The sandbox's init process is PID 1.
pub const INIT_PID: i32 = 1;

impl Kernel {
    pub fn new(
        config: Config,
        platform: Arc<dyn Platform>,
        mf: Arc<MemoryFile>,
        mounts: Arc<MountNamespace>,
    ) -> Arc<Kernel> {
        let hostname = if config.hostname.is_empty() {
            b"localhost".to_vec()
        } else {
            config.hostname.as_bytes().to_vec()
        };
        Arc::new(Kernel {
            platform,
            ipc: super::ipc::IpcNamespace::new(mf.clone()),
            mf,
            mounts,
            pids: Mutex::new(PidTable::default()),
            config,
            syscalls: Table::build(),
            boot_mono: super::time::host_monotonic(),
            vdso: std::sync::OnceLock::new(),
            hostname: Mutex::new(hostname),
            domainname: Mutex::new(b"(none)".to_vec()),
            exit: Mutex::new(None),
            exit_cv: Condvar::new(),
            logged_unimplemented: Mutex::new(HashSet::new()),
            freezer: Default::default(),
            unix: Default::default(),
        })
    }

    /// Log an unimplemented syscall once per number.
    pub fn log_unimplemented(&self, nr: u64, comm: &str) {
        if self.logged_unimplemented.lock().insert(nr) {
            let name = usize::try_from(nr)
                .ok()
                .and_then(|n| abi::sysno::NAMES.get(n))
                .copied()
                .unwrap_or("");
            let name = if name.is_empty() { "unknown" } else { name };
            // glibc registers rseq in every process it starts and carries on
            // without it: worth a line in the debug log, not on the terminal.
            if nr == abi::sysno::RSEQ as u64 {
                tracing::debug!("unimplemented syscall {nr} ({name}) called by {comm}: ENOSYS");
            } else {
                tracing::warn!("unimplemented syscall {nr} ({name}) called by {comm}: ENOSYS");
            }
        }
    }

    /// The process that adopts the orphans of `tg`: the nearest living
    /// subreaper among its ancestors, else init.
    fn reaper_for(&self, tg: &Arc<ThreadGroup>) -> Option<Arc<ThreadGroup>> {
        let mut cur = tg.parent();
        while let Some(p) = cur {
            if p.subreaper.load(std::sync::atomic::Ordering::Relaxed)
                && !p.is_zombie()
                && p.group_exit_status().is_none()
            {
                return Some(p);
            }
            cur = p.parent();
        }
        self.pids
            .lock()
            .groups
            .get(&INIT_PID)
            .cloned()
            .filter(|i| !Arc::ptr_eq(i, tg))
    }

    /// Called when the last task of `tg` has exited: it becomes a zombie
    /// for its parent to reap, and its children are adopted.
    pub fn thread_group_exited(&self, tg: &Arc<ThreadGroup>, status: ExitStatus) {
        if tg.sid() == tg.tgid {
            super::tty::Tty::session_leader_exited(tg);
        }
        let orphans = std::mem::take(&mut *tg.children.lock());
        if !orphans.is_empty() {
            if let Some(reaper) = self.reaper_for(tg) {
                for c in orphans {
                    // PR_SET_PDEATHSIG: tell the orphan its parent died.
                    let tasks = c.tasks.lock().clone();
                    for t in tasks {
                        let sig = t.pdeath_sig.load(std::sync::atomic::Ordering::Relaxed);
                        if sig != 0 {
                            super::send::send(
                                &c,
                                Some(t.tid),
                                super::send::kernel_info(sig, abi::signal::SI_USER),
                            );
                        }
                    }
                    *c.parent.lock() = Arc::downgrade(&reaper);
                    reaper.children.lock().push(c.clone());
                    let zombie = *c.exit_status.lock();
                    if let Some(s) = zombie {
                        if super::send::notify_parent_exit(&c, s) {
                            super::task::wait::reap(self, &reaper, &c);
                        }
                    }
                }
                reaper.child_wq.notify(u64::MAX);
            }
        }
        if tg.tgid != INIT_PID && super::send::notify_parent_exit(tg, status) {
            match tg.parent() {
                Some(p) => super::task::wait::reap(self, &p, tg),
                None => {
                    self.pids.lock().groups.remove(&tg.tgid);
                }
            }
        }
        if tg.tgid == INIT_PID {
            // The init process ended: everything else in the sandbox dies with it.
            let others: Vec<Arc<ThreadGroup>> = self.pids.lock().groups.values().cloned().collect();
            for g in others {
                g.start_group_exit(ExitStatus::Signaled {
                    sig: abi::signal::SIGKILL,
                    core: false,
                });
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
