//! The stub threads traced by the current host thread, one per address space.
//!
//! ptrace binds a tracee to one tracer *thread*, so this table is
//! thread-local: a task's host thread runs its application code, and injects
//! syscalls, only through stub threads it seized itself.

use super::aspace::PtraceAddressSpace;
use super::sys;
use super::thread::StubThread;
use crate::stub::StubPage;
use crate::{Error, Result};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

struct Slot {
    as_id: u64,
    alive: Arc<AtomicBool>,
    thread: StubThread,
    page: StubPage,
}

thread_local! {
    static SLOTS: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

fn claim(aspace: &PtraceAddressSpace) -> Result<StubThread> {
    let tid = aspace
        .pool
        .lock()
        .pop()
        .ok_or_else(|| Error::Host("no idle stub thread to claim".into()))?;
    let mut t = StubThread::seize(aspace.pid, tid, aspace.master)?;
    // A stub sets PR_SET_PDEATHSIG itself before idling; one caught before
    // its idle loop gets it injected instead.
    let mut regs = abi::Regs::default();
    let idle = super::sys::get_regs(tid, &mut regs).is_ok()
        && (aspace.page.idle..aspace.page.idle + 16).contains(&regs.rip);
    if !idle {
        t.syscall(
            &aspace.page,
            libc::SYS_prctl,
            [
                libc::PR_SET_PDEATHSIG as u64,
                libc::SIGKILL as u64,
                0,
                0,
                0,
                0,
            ],
        )?;
    }
    Ok(t)
}

/// Run `f` with this host thread's stub thread in `aspace`, claiming one first if needed.
pub fn with_thread<R>(
    aspace: &PtraceAddressSpace,
    f: impl FnOnce(&mut StubThread) -> Result<R>,
) -> Result<R> {
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let idx = match slots.iter().position(|s| s.as_id == aspace.id) {
            Some(i) => i,
            None => {
                let thread = claim(aspace)?;
                slots.push(Slot {
                    as_id: aspace.id,
                    alive: aspace.alive.clone(),
                    thread,
                    page: aspace.page,
                });
                slots.len() - 1
            }
        };
        f(&mut slots[idx].thread)
    })
}

/// Reap stub threads of address spaces that no longer exist.
pub fn collect_dead() {
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let (dead, live): (Vec<Slot>, Vec<Slot>) = slots
            .drain(..)
            .partition(|s| !s.alive.load(Ordering::SeqCst));
        *slots = live;
        for s in dead {
            // The process was SIGKILLed; wait for the thread to be gone.
            let _ = sys::wait(s.thread.tid);
        }
    });
}

/// Drop this thread's slot for an address space being destroyed.
pub fn forget(as_id: u64) {
    let _ = SLOTS.try_with(|slots| {
        if let Ok(mut slots) = slots.try_borrow_mut() {
            slots.retain(|s| s.as_id != as_id);
        }
    });
}

/// End every stub thread this host thread holds (the task is exiting).
pub fn release_all() {
    let _ = SLOTS.try_with(|slots| {
        let drained: Vec<Slot> = match slots.try_borrow_mut() {
            Ok(mut s) => s.drain(..).collect(),
            Err(_) => return,
        };
        for s in drained {
            if s.alive.load(Ordering::SeqCst) {
                s.thread.exit(&s.page);
            } else {
                sys::try_reap(s.thread.tid);
            }
        }
    });
}
