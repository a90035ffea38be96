//! The application's seccomp filters, interpreted by the Sentry on every
//! syscall of the task before dispatch (as Linux's `__secure_computing`).
//! Distinct from the Sentry's own host filter (crates/runsc/src/sandbox/seccomp.rs).
//!
//! A task's filters are a chain, newest first, shared with the tasks it
//! forked: `Arc` links make fork cheap and let TSYNC check that another
//! thread's chain is an ancestor of the caller's.

pub mod bpf;

use super::signal::ExitStatus;
use super::task::Task;
use abi::signal::{SigInfo, SIGKILL, SIGSYS};
use abi::Errno;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub const MODE_DISABLED: u8 = 0;
pub const MODE_STRICT: u8 = 1;
pub const MODE_FILTER: u8 = 2;

pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;

// Return values (linux/seccomp.h).
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;
pub const RET_KILL_THREAD: u32 = 0x0000_0000;
pub const RET_TRAP: u32 = 0x0003_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub const RET_TRACE: u32 = 0x7ff0_0000;
pub const RET_LOG: u32 = 0x7ffc_0000;
pub const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ACTION_FULL: u32 = 0xffff_0000;
const RET_DATA: u32 = 0x0000_ffff;

/// si_code of a seccomp SIGSYS.
const SYS_SECCOMP: i32 = 1;
/// `MAX_INSNS_PER_PATH`: instructions over all stacked filters (each costs 4 more).
const MAX_INSNS_PER_PATH: usize = 32768;

/// One installed filter and the ones installed before it.
pub struct Filter {
    pub prog: Vec<bpf::Insn>,
    /// SECCOMP_FILTER_FLAG_LOG.
    pub log: bool,
    pub prev: Option<Arc<Filter>>,
    /// Instructions of this chain, 4 more for each filter, as Linux counts them.
    path_insns: usize,
    /// Filters in the chain.
    pub count: u32,
}

impl Drop for Filter {
    // Unlink iteratively: a chain thousands deep must not recurse.
    fn drop(&mut self) {
        let mut next = self.prev.take();
        while let Some(f) = next {
            match Arc::try_unwrap(f) {
                Ok(mut f) => next = f.prev.take(),
                Err(_) => break,
            }
        }
    }
}

impl Filter {
    /// Stack `prog` (checked) on `prev`: ENOMEM past Linux's instruction budget.
    pub fn stack(
        prog: Vec<bpf::Insn>,
        log: bool,
        prev: Option<Arc<Filter>>,
    ) -> Result<Arc<Filter>, Errno> {
        // Linux: the new program plus each older one and 4 for each.
        let below = prev.as_ref().map_or(0, |p| p.path_insns);
        if prog.len() + below > MAX_INSNS_PER_PATH {
            return Err(Errno::ENOMEM);
        }
        let path_insns = below + prog.len() + 4;
        let count = prev.as_ref().map_or(0, |p| p.count) + 1;
        Ok(Arc::new(Filter {
            prog,
            log,
            prev,
            path_insns,
            count,
        }))
    }

    /// Whether `other` is this chain or one of its older parts.
    pub fn has_ancestor(self: &Arc<Filter>, other: &Arc<Filter>) -> bool {
        let mut f = Some(self);
        while let Some(c) = f {
            if Arc::ptr_eq(c, other) {
                return true;
            }
            f = c.prev.as_ref();
        }
        false
    }
}

/// A task's seccomp state.
#[derive(Clone, Default)]
pub struct Seccomp {
    pub mode: u8,
    pub filters: Option<Arc<Filter>>,
}

impl Seccomp {
    pub fn count(&self) -> u32 {
        self.filters.as_ref().map_or(0, |f| f.count)
    }
}

/// The per-task cell, in `TaskShared` so TSYNC can reach other threads.
#[derive(Default)]
pub struct SeccompCell {
    /// Any mode set: the syscall path's one check when nothing is installed.
    active: AtomicBool,
    /// TSYNC from a thread with no_new_privs: this task takes it on its next syscall.
    nnp: AtomicBool,
    st: parking_lot::Mutex<Seccomp>,
}

impl SeccompCell {
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Acquire)
    }

    pub fn get(&self) -> Seccomp {
        self.st.lock().clone()
    }

    pub fn set(&self, s: Seccomp) {
        let on = s.mode != MODE_DISABLED;
        *self.st.lock() = s;
        self.active.store(on, Ordering::Release);
    }

    pub fn lock(&self) -> parking_lot::MutexGuard<'_, Seccomp> {
        self.st.lock()
    }

    /// Ask the task to set no_new_privs (its credentials are its own).
    pub fn request_nnp(&self) {
        self.nnp.store(true, Ordering::Release);
    }

    /// Mark active after a change made through `lock`.
    pub fn refresh(&self) {
        let on = self.st.lock().mode != MODE_DISABLED;
        self.active.store(on, Ordering::Release);
    }
}

/// Run every filter of the chain, newest first: the action of highest
/// precedence, with the data of the first filter that returned it, and
/// whether that filter asked for logging.
pub fn evaluate(chain: &Arc<Filter>, d: &bpf::Data) -> (u32, bool) {
    let prec = |r: u32| (r & RET_ACTION_FULL) as i32;
    let mut ret = RET_ALLOW;
    let mut log = false;
    let mut f = Some(chain);
    while let Some(c) = f {
        let cur = bpf::run(&c.prog, d);
        if prec(cur) < prec(ret) {
            ret = cur;
            log = c.log;
        }
        f = c.prev.as_ref();
    }
    (ret, log)
}

static LOGGED: AtomicBool = AtomicBool::new(false);

fn log_once(what: &str, nr: u64, comm: &str) {
    if !LOGGED.swap(true, Ordering::Relaxed) {
        tracing::info!("seccomp: {what} syscall {nr} of {comm} (logged once)");
    }
}

impl Task {
    /// Apply the task's seccomp mode to syscall `nr` before dispatch.
    /// True: run it. False: it was answered (rax set), or the task or its
    /// process dies, or a SIGSYS is on its way.
    pub fn seccomp_allows(&mut self, nr: u64, args: &[u64; 6]) -> bool {
        if self.shared.seccomp.nnp.swap(false, Ordering::AcqRel) && !self.creds.no_new_privs {
            let mut c = (*self.creds).clone();
            c.no_new_privs = true;
            crate::syscalls::identity::commit(self, c);
        }
        let st = self.shared.seccomp.get();
        match st.mode {
            MODE_STRICT => {
                const STRICT: [u64; 4] = [
                    abi::sysno::READ as u64,
                    abi::sysno::WRITE as u64,
                    abi::sysno::EXIT as u64,
                    abi::sysno::RT_SIGRETURN as u64,
                ];
                if STRICT.contains(&nr) {
                    return true;
                }
                // do_exit(SIGKILL): this thread only.
                self.finish(ExitStatus::Signaled {
                    sig: SIGKILL,
                    core: false,
                });
                false
            }
            MODE_FILTER => {
                let Some(chain) = st.filters else {
                    return true;
                };
                let d = bpf::Data {
                    nr: nr as i32,
                    arch: AUDIT_ARCH_X86_64,
                    instruction_pointer: self.regs.rip,
                    args: *args,
                };
                let (ret, log) = evaluate(&chain, &d);
                self.seccomp_act(nr, &d, ret, log)
            }
            _ => true,
        }
    }

    fn seccomp_act(&mut self, nr: u64, d: &bpf::Data, ret: u32, log: bool) -> bool {
        let data = ret & RET_DATA;
        match ret & RET_ACTION_FULL {
            RET_ALLOW => true,
            RET_LOG => {
                log_once("logged", nr, &self.comm());
                true
            }
            RET_ERRNO => {
                if log {
                    log_once("errno for", nr, &self.comm());
                }
                self.regs.rax = (-(i64::from(data.min(4095)))) as u64;
                false
            }
            // No ptrace tracer, no user-notification listener in the Sentry:
            // Linux answers ENOSYS when there is none.
            RET_TRACE | RET_USER_NOTIF => {
                self.regs.rax = Errno::ENOSYS.as_ret();
                false
            }
            RET_TRAP => {
                if log {
                    log_once("trap for", nr, &self.comm());
                }
                // syscall_rollback: the handler sees rax as at the call
                // (the number), and the call returns it.
                self.regs.rax = self.regs.orig_rax;
                let mut si = SigInfo {
                    signo: SIGSYS,
                    errno: data as i32,
                    code: SYS_SECCOMP,
                    ..Default::default()
                };
                si.fields[0] = d.instruction_pointer;
                si.fields[1] = u64::from(d.nr as u32) | (u64::from(d.arch) << 32);
                self.force_signal(si);
                false
            }
            action => {
                // KILL_THREAD, KILL_PROCESS and anything unknown.
                log_once("killed by", nr, &self.comm());
                let last = self.tg.tasks.lock().len() <= 1;
                if action == RET_KILL_THREAD && !last {
                    self.finish(ExitStatus::Signaled {
                        sig: SIGSYS,
                        core: false,
                    });
                } else {
                    // A SIGSYS that dumps core (force_sig_seccomp).
                    self.exit_group_signal(SIGSYS, true);
                }
                false
            }
        }
    }
}
