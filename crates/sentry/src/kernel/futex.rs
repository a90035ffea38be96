//! Futexes: wait queues keyed by a word of application memory.
//!
//! Private futexes (and non-private ones in private mappings, as Linux) are
//! keyed by address space and address; futexes in shared mappings by the
//! MemoryFile frame, so different processes mapping the same memory meet.

use super::task::TaskShared;
use crate::mm::Mm;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Key {
    Private(usize, u64),
    Shared(u64),
}

struct Waiter {
    task: Arc<TaskShared>,
    bitset: u32,
    woken: AtomicBool,
}

static TABLE: LazyLock<Mutex<HashMap<Key, Vec<Arc<Waiter>>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The key of the futex word at `addr`.
pub fn key(mm: &Arc<Mm>, addr: u64, private: bool) -> Result<Key, Errno> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    if !private {
        let shared = mm
            .st
            .lock()
            .vmas
            .find(addr)
            .map(|v| v.shared)
            .ok_or(Errno::EFAULT)?;
        if shared {
            let pin = mm.translate(addr, 4, false)?;
            let frame = pin.blocks.first().map(|b| b.0).ok_or(Errno::EFAULT)?;
            return Ok(Key::Shared(frame));
        }
    }
    Ok(Key::Private(Arc::as_ptr(mm) as usize, addr))
}

/// Outcome of a wait.
pub enum WaitResult {
    Woken,
    TimedOut,
    Interrupted,
}

/// Queue the caller on `key` if the word at `addr` still holds `val`.
/// Returns a handle to wait on, or EAGAIN.
pub fn prepare_wait(
    mm: &Arc<Mm>,
    task: &Arc<TaskShared>,
    k: Key,
    addr: u64,
    val: u32,
    bitset: u32,
) -> Result<WaitHandle, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let mut table = TABLE.lock();
    let cur: u32 = mm.read_obj(addr)?;
    if cur != val {
        return Err(Errno::EAGAIN);
    }
    let w = Arc::new(Waiter {
        task: task.clone(),
        bitset,
        woken: AtomicBool::new(false),
    });
    table.entry(k).or_default().push(w.clone());
    Ok(WaitHandle { key: k, w })
}

pub struct WaitHandle {
    key: Key,
    w: Arc<Waiter>,
}

impl WaitHandle {
    pub fn woken(&self) -> bool {
        self.w.woken.load(Ordering::SeqCst)
    }

    /// Leave the queue (timeout or signal); true if a wake raced in first.
    pub fn cancel(&self) -> bool {
        let mut table = TABLE.lock();
        if let Some(v) = table.get_mut(&self.key) {
            v.retain(|x| !Arc::ptr_eq(x, &self.w));
            if v.is_empty() {
                table.remove(&self.key);
            }
        }
        // A requeue may have moved us; look everywhere only if needed.
        if !self.w.woken.load(Ordering::SeqCst) {
            for v in table.values_mut() {
                v.retain(|x| !Arc::ptr_eq(x, &self.w));
            }
            table.retain(|_, v| !v.is_empty());
        }
        self.w.woken.load(Ordering::SeqCst)
    }
}

fn wake_key(table: &mut HashMap<Key, Vec<Arc<Waiter>>>, k: Key, n: u32, bitset: u32) -> u32 {
    let Some(v) = table.get_mut(&k) else { return 0 };
    let mut woken = 0;
    let mut i = 0;
    while i < v.len() && woken < n {
        if v[i].bitset & bitset != 0 {
            let w = v.remove(i);
            w.woken.store(true, Ordering::SeqCst);
            w.task.notify();
            woken += 1;
        } else {
            i += 1;
        }
    }
    if v.is_empty() {
        table.remove(&k);
    }
    woken
}

/// FUTEX_WAKE / FUTEX_WAKE_BITSET.
pub fn wake(mm: &Arc<Mm>, addr: u64, n: u32, bitset: u32, private: bool) -> Result<u32, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let k = key(mm, addr, private)?;
    Ok(wake_key(&mut TABLE.lock(), k, n, bitset))
}

/// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE.
pub fn requeue(
    mm: &Arc<Mm>,
    addr: u64,
    addr2: u64,
    n_wake: u32,
    n_requeue: u32,
    cmp: Option<u32>,
    private: bool,
) -> Result<u32, Errno> {
    let k1 = key(mm, addr, private)?;
    let k2 = key(mm, addr2, private)?;
    let mut table = TABLE.lock();
    if let Some(v) = cmp {
        let cur: u32 = mm.read_obj(addr)?;
        if cur != v {
            return Err(Errno::EAGAIN);
        }
    }
    let woken = wake_key(&mut table, k1, n_wake, u32::MAX);
    let mut moved = 0;
    if k1 != k2 {
        if let Some(mut v) = table.remove(&k1) {
            let take = (n_requeue as usize).min(v.len());
            let rest = v.split_off(take);
            moved = v.len() as u32;
            table.entry(k2).or_default().extend(v);
            if !rest.is_empty() {
                table.insert(k1, rest);
            }
        }
    }
    Ok(woken + moved)
}

/// FUTEX_WAKE_OP.
pub fn wake_op(
    mm: &Arc<Mm>,
    addr: u64,
    addr2: u64,
    n1: u32,
    n2: u32,
    op: u32,
    private: bool,
) -> Result<u32, Errno> {
    let k1 = key(mm, addr, private)?;
    let k2 = key(mm, addr2, private)?;
    let kind = (op >> 28) & 7;
    let cmp = (op >> 24) & 15;
    let mut oparg = ((op << 8) as i32 >> 20) as u32;
    let cmparg = ((op << 20) as i32 >> 20) as u32;
    if op & (8 << 28) != 0 {
        if oparg > 31 {
            return Err(Errno::EINVAL);
        }
        oparg = 1 << oparg;
    }
    if kind > 4 || cmp > 5 {
        return Err(Errno::ENOSYS);
    }
    if !addr2.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let mut table = TABLE.lock();
    let pin = mm.translate(addr2, 4, true)?;
    let frame = pin.blocks.first().map(|b| b.0).ok_or(Errno::EFAULT)?;
    let old = mm.mf.update_u32(frame, |v| match kind {
        0 => oparg,
        1 => v.wrapping_add(oparg),
        2 => v | oparg,
        3 => v & !oparg,
        _ => v ^ oparg,
    })?;
    let mut n = wake_key(&mut table, k1, n1, u32::MAX);
    let (a, b) = (old as i32, cmparg as i32);
    let hit = match cmp {
        0 => a == b,
        1 => a != b,
        2 => a < b,
        3 => a <= b,
        4 => a > b,
        _ => a >= b,
    };
    if hit {
        n += wake_key(&mut table, k2, n2, u32::MAX);
    }
    Ok(n)
}
