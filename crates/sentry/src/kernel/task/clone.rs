//! fork, vfork and clone: new tasks and processes.

use super::{Task, TaskShared, VforkDone};
use crate::kernel::signal::SigHand;
use crate::kernel::thread_group::ThreadGroup;
use abi::Errno;
use std::sync::Arc;

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_PTRACE: u64 = 0x2000;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_NEWNS: u64 = 0x20000;
pub const CLONE_SYSVSEM: u64 = 0x40000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_DETACHED: u64 = 0x400000;
pub const CLONE_UNTRACED: u64 = 0x800000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
pub const CLONE_NEWCGROUP: u64 = 0x2000000;
pub const CLONE_NEWUTS: u64 = 0x4000000;
pub const CLONE_NEWIPC: u64 = 0x8000000;
pub const CLONE_NEWUSER: u64 = 0x10000000;
pub const CLONE_NEWPID: u64 = 0x20000000;
pub const CLONE_NEWNET: u64 = 0x40000000;
pub const CLONE_IO: u64 = 0x80000000;

const NAMESPACES: u64 = CLONE_NEWNS
    | CLONE_NEWCGROUP
    | CLONE_NEWUTS
    | CLONE_NEWIPC
    | CLONE_NEWUSER
    | CLONE_NEWPID
    | CLONE_NEWNET;

/// Decoded clone arguments.
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub exit_signal: i32,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    /// CLONE_PIDFD: where the parent's pidfd of the child is stored.
    pub pidfd: u64,
}

impl Task {
    /// Create a task as clone(2) describes; returns the child's tid.
    pub fn clone_task(&mut self, a: CloneArgs) -> Result<i32, Errno> {
        let f = a.flags;
        if f & CLONE_SIGHAND != 0 && f & CLONE_VM == 0 {
            return Err(Errno::EINVAL);
        }
        if f & CLONE_THREAD != 0 && f & CLONE_SIGHAND == 0 {
            return Err(Errno::EINVAL);
        }
        if (f & CLONE_NEWNS != 0 || f & CLONE_NEWUSER != 0) && f & CLONE_FS != 0 {
            return Err(Errno::EINVAL);
        }
        if f & CLONE_PARENT != 0 && self.tg.tgid == crate::kernel::kernel::INIT_PID {
            return Err(Errno::EINVAL);
        }
        if !(0..=64).contains(&a.exit_signal) {
            return Err(Errno::EINVAL);
        }
        if f & NAMESPACES != 0 {
            // New namespaces inside the sandbox are not supported yet.
            return Err(Errno::EPERM);
        }
        if f & CLONE_PIDFD != 0 {
            if f & CLONE_DETACHED != 0 {
                return Err(Errno::EINVAL);
            }
            // Fault now, before there is a child to undo.
            self.mm.write_obj(a.pidfd, &(-1i32))?;
        }
        let k = self.k.clone();

        // The child's memory, files, filesystem context and handlers.
        let mm = if f & CLONE_VM != 0 {
            self.mm.aspace.prepare_thread().map_err(|e| {
                tracing::warn!("clone: new stub thread: {e}");
                Errno::EAGAIN
            })?;
            self.mm.clone()
        } else {
            Arc::new(self.mm.fork(k.platform.as_ref())?)
        };
        let fds = if f & CLONE_FILES != 0 {
            self.fds.clone()
        } else {
            Arc::new(self.fds.fork())
        };
        let fs = if f & CLONE_FS != 0 {
            self.fs.clone()
        } else {
            Arc::new(self.fs.fork())
        };
        let sighand: Arc<SigHand> = if f & CLONE_SIGHAND != 0 {
            self.tg.sighand()
        } else {
            Arc::new(self.tg.sighand().copy())
        };

        let tid = k.pids.lock().alloc().ok_or(Errno::EAGAIN)?;
        let tg = if f & CLONE_THREAD != 0 {
            self.tg.clone()
        } else {
            let parent = if f & CLONE_PARENT != 0 {
                self.tg.parent().ok_or(Errno::EINVAL)?
            } else {
                self.tg.clone()
            };
            let limits = self.tg.limits.lock().clone();
            let tg = ThreadGroup::new(tid, sighand, limits, Arc::downgrade(&parent));
            tg.exit_signal
                .store(a.exit_signal, std::sync::atomic::Ordering::Relaxed);
            *tg.exe.lock() = self.tg.exe.lock().clone();
            parent.children.lock().push(tg.clone());
            tg
        };
        let shared = TaskShared::new(tid, self.shared.comm.lock().clone());
        shared.seccomp.set(self.shared.seccomp.get());
        {
            let mask = self.sigmask();
            tg.sig.lock().task_mut(tid).mask = mask;
        }
        tg.tasks.lock().push(shared.clone());
        {
            let mut p = k.pids.lock();
            p.tasks.insert(tid, shared.clone());
            if f & CLONE_THREAD == 0 {
                p.groups.insert(tid, tg.clone());
            }
        }

        if f & CLONE_PIDFD != 0 {
            // As Linux, the pidfd is in place before the child runs; with
            // CLONE_THREAD it names the thread (PIDFD_THREAD).
            let thread = (f & CLONE_THREAD != 0).then_some(tid);
            let installed = crate::syscalls::pidfd::install(self, tg.clone(), thread, false)
                .and_then(|fd| {
                    self.mm.write_obj(a.pidfd, &fd).inspect_err(|_| {
                        let _ = self.fds.remove(fd);
                    })
                });
            if let Err(e) = installed {
                self.undo_clone(&tg, tid, f);
                return Err(e);
            }
        }

        let mut regs = self.regs;
        regs.rax = 0;
        if a.stack != 0 {
            regs.rsp = a.stack;
        }
        if f & CLONE_SETTLS != 0 {
            regs.fs_base = a.tls;
        }
        let _ = self.ctx.sync_fp(&mut self.fp);
        let fp = self.fp.fork_copy();

        if f & CLONE_PARENT_SETTID != 0 {
            let _ = self.mm.write_obj(a.parent_tid, &(tid as u32));
        }
        if f & CLONE_CHILD_SETTID != 0 {
            let _ = mm.write_obj(a.child_tid, &(tid as u32));
        }
        let altstack = if f & CLONE_VM != 0 && f & CLONE_VFORK == 0 {
            abi::signal::StackT {
                flags: abi::signal::SS_DISABLE,
                ..Default::default()
            }
        } else {
            self.altstack
        };
        let vfork = (f & CLONE_VFORK != 0).then(|| Arc::new(VforkDone::default()));
        let child = Task {
            k: k.clone(),
            tid,
            shared,
            tg,
            mm,
            fds,
            fs,
            creds: self.creds.clone(),
            regs,
            fp,
            ctx: k.platform.new_context(),
            altstack,
            clear_child_tid: if f & CLONE_CHILD_CLEARTID != 0 {
                a.child_tid
            } else {
                0
            },
            robust_list: (0, 0),
            last_fault: None,
            keep_regs: false,
            exited: false,
            restart: None,
            restart_block: None,
            vfork_done: vfork.clone(),
        };
        crate::kernel::proc_view::publish(&child);
        std::thread::Builder::new()
            .name(format!("task-{tid}"))
            .spawn(move || super::exit::run_guarded(child))
            .map_err(|_| Errno::EAGAIN)?;

        if let Some(done) = vfork {
            // The parent sleeps until the child execs or exits (not interruptible by signals, as Linux's vfork).
            let mut d = done.done.lock();
            while !*d && !self.killed() {
                done.cv
                    .wait_for(&mut d, std::time::Duration::from_millis(100));
            }
        }
        Ok(tid)
    }
}

impl Task {
    /// Take back child `tid` that clone_task registered but did not start.
    fn undo_clone(&self, tg: &Arc<ThreadGroup>, tid: i32, f: u64) {
        tg.tasks.lock().retain(|x| x.tid != tid);
        tg.sig.lock().tasks.remove(&tid);
        {
            let mut p = self.k.pids.lock();
            p.tasks.remove(&tid);
            if f & CLONE_THREAD == 0 {
                p.groups.remove(&tid);
            }
        }
        if f & CLONE_THREAD == 0 {
            tg.reaped.store(true, std::sync::atomic::Ordering::SeqCst);
            if let Some(parent) = tg.parent() {
                parent.children.lock().retain(|c| !Arc::ptr_eq(c, tg));
            }
        }
    }
}

/// Release a vfork parent (the child exec'd or exited).
pub fn complete_vfork(t: &mut Task) {
    if let Some(d) = t.vfork_done.take() {
        d.complete();
    }
}
