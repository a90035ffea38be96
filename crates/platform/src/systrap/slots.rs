//! The stub threads used by the current host thread, one per address space.
//!
//! Unlike ptrace, nothing ties a stub thread to one host thread; the table
//! is thread-local so that `AddressSpace` operations, which do not get the
//! caller's context, find the caller's own stub thread — parked in its
//! handler and usually still spinning, the cheapest one to ask.

use super::aspace::{Shared, SystrapAddressSpace};
use super::thread::StubThread;
use crate::{Error, Result};
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::Arc;

struct Slot {
    as_id: u64,
    sh: Arc<Shared>,
    thread: StubThread,
}

thread_local! {
    static SLOTS: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this host thread's stub thread in `aspace`, claiming an
/// idle one first if needed.
pub fn with_thread<R>(
    aspace: &SystrapAddressSpace,
    f: impl FnOnce(&Shared, &mut StubThread) -> Result<R>,
) -> Result<R> {
    SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let idx = match slots.iter().position(|s| s.as_id == aspace.id) {
            Some(i) => i,
            None => {
                let thread = aspace
                    .sh
                    .pool
                    .lock()
                    .pop()
                    .ok_or_else(|| Error::Host("no idle stub thread to claim".into()))?;
                slots.push(Slot {
                    as_id: aspace.id,
                    sh: aspace.sh.clone(),
                    thread,
                });
                slots.len() - 1
            }
        };
        let s = &mut slots[idx];
        f(&s.sh, &mut s.thread)
    })
}

/// Drop stub threads of address spaces that no longer exist.
pub fn collect_dead() {
    SLOTS.with(|slots| {
        slots
            .borrow_mut()
            .retain(|s| s.sh.alive.load(Ordering::SeqCst))
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
            if s.sh.alive.load(Ordering::SeqCst) {
                let slot = s.thread.slot;
                s.thread.exit(&s.sh);
                s.sh.slots.lock().free.push(slot);
            }
        }
    });
}
