//! System V semaphore sets.
//!
//! semop applies its operation array atomically under the registry's lock
//! or applies nothing. A caller that must wait records which semaphore
//! stopped it (GETNCNT/GETZCNT count those) and sleeps on the set's wait
//! queue; every change of a value wakes the set's waiters, which try
//! their whole array again. SEM_UNDO adjustments are kept per set and
//! process (by tgid; threads share them, as under CLONE_SYSVSEM) and
//! applied when the process exits.

use super::perm::{GetArgs, Table};
use crate::kernel::creds::Creds;
use crate::kernel::waiter::{WaitQueue, EV_ALL};
use crate::kernel::Task;
use abi::ipc::*;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sem {
    pub val: i32,
    /// The process of the last operation.
    pub pid: i32,
    pub otime: i64,
}

/// A task waiting in semop, and the operation that stopped it.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    token: u64,
    sem: u16,
    zero: bool,
}

pub struct SemSet {
    sems: Vec<Sem>,
    ctime: i64,
    /// SEM_UNDO adjustments by process.
    undo: HashMap<i32, Vec<i16>>,
    waiting: Vec<Waiting>,
    wq: Arc<WaitQueue>,
}

static TOKEN: AtomicU64 = AtomicU64::new(1);

fn now() -> i64 {
    crate::kernel::time::realtime().tv_sec
}

/// What an operation array does to the values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Applied.
    Done,
    /// Would wait on semaphore `sem` (for zero, or for an increase);
    /// `nowait` when that operation has IPC_NOWAIT.
    Block { sem: u16, zero: bool, nowait: bool },
}

/// Linux's perform_atomic_semop: apply `ops` in order to `sems` (and the
/// caller's undo adjustments `adj` for SEM_UNDO operations), all or none.
/// `sem_num` must be in range (checked before).
pub fn try_ops(
    sems: &mut [Sem],
    adj: Option<&mut Vec<i16>>,
    ops: &[Sembuf],
) -> Result<Outcome, Errno> {
    let mut vals: Vec<i32> = sems.iter().map(|s| s.val).collect();
    let mut new_adj: Option<Vec<i16>> = adj.as_ref().map(|a| a.to_vec());
    for op in ops {
        let n = op.sem_num as usize;
        let cur = *vals.get(n).ok_or(Errno::EFBIG)?;
        let block = Outcome::Block {
            sem: op.sem_num,
            zero: op.sem_op == 0,
            nowait: op.sem_flg as u32 & IPC_NOWAIT != 0,
        };
        if op.sem_op == 0 && cur != 0 {
            return Ok(block);
        }
        let result = cur + i32::from(op.sem_op);
        if result < 0 {
            return Ok(block);
        }
        if result > SEMVMX {
            return Err(Errno::ERANGE);
        }
        if op.sem_flg & SEM_UNDO != 0 {
            if let Some(a) = new_adj.as_mut().and_then(|a| a.get_mut(n)) {
                let undo = i32::from(*a) - i32::from(op.sem_op);
                if !(-SEMAEM - 1..=SEMAEM).contains(&undo) {
                    return Err(Errno::ERANGE);
                }
                *a = undo as i16;
            }
        }
        if let Some(v) = vals.get_mut(n) {
            *v = result;
        }
    }
    for (s, v) in sems.iter_mut().zip(vals) {
        s.val = v;
    }
    if let (Some(a), Some(n)) = (adj, new_adj) {
        *a = n;
    }
    Ok(Outcome::Done)
}

pub struct SemRegistry {
    table: Mutex<Table<SemSet>>,
}

/// The request of a semop/semtimedop call.
pub struct SemopArgs<'a> {
    pub id: i32,
    pub ops: &'a [Sembuf],
    pub deadline: Option<Instant>,
}

impl SemRegistry {
    pub fn new() -> Arc<SemRegistry> {
        Arc::new(SemRegistry {
            table: Mutex::new(Table::new(SEMMNI as usize)),
        })
    }

    /// semget(2).
    pub fn get(&self, key: i32, nsems: i32, flags: u32, c: &Creds) -> Result<i32, Errno> {
        if !(0..=SEMMSL).contains(&nsems) {
            return Err(Errno::EINVAL);
        }
        let mut t = self.table.lock();
        let used: i64 = t.iter().map(|o| o.data.sems.len() as i64).sum();
        t.get_or_create(
            GetArgs { key, flags },
            c,
            |s| {
                if (s.sems.len() as i32) < nsems {
                    Err(Errno::EINVAL)
                } else {
                    Ok(())
                }
            },
            || {
                if nsems == 0 {
                    return Err(Errno::EINVAL);
                }
                if used + i64::from(nsems) > i64::from(SEMMNS) {
                    return Err(Errno::ENOSPC);
                }
                Ok(SemSet {
                    sems: vec![Sem::default(); nsems as usize],
                    ctime: now(),
                    undo: HashMap::new(),
                    waiting: Vec::new(),
                    wq: Arc::new(WaitQueue::new()),
                })
            },
        )
    }

    /// semop(2)/semtimedop(2), after the array is read.
    pub fn semop(&self, t: &mut Task, a: SemopArgs<'_>) -> Result<(), Errno> {
        let max = a.ops.iter().map(|o| o.sem_num).max().unwrap_or(0);
        let undo = a.ops.iter().any(|o| o.sem_flg & SEM_UNDO != 0);
        let alter = a.ops.iter().any(|o| o.sem_op != 0);
        let pid = t.tg.tgid;
        let creds = t.creds.clone();
        let token = TOKEN.fetch_add(1, Ordering::Relaxed);
        let (wq, serial) = {
            let tb = self.table.lock();
            let o = tb.get(a.id)?;
            if usize::from(max) >= o.data.sems.len() {
                return Err(Errno::EFBIG);
            }
            o.perm.check(&creds, if alter { 0o222 } else { 0o444 })?;
            (o.data.wq.clone(), o.serial)
        };
        let _entry = wq.register(&t.shared, EV_ALL);
        loop {
            {
                let mut tb = self.table.lock();
                let o = tb.get_serial_mut(a.id, serial).ok_or(Errno::EIDRM)?;
                let set = &mut o.data;
                set.waiting.retain(|w| w.token != token);
                let n = set.sems.len();
                let adj = if undo {
                    Some(set.undo.entry(pid).or_insert_with(|| vec![0; n]))
                } else {
                    None
                };
                match try_ops(&mut set.sems, adj, a.ops)? {
                    Outcome::Done => {
                        for op in a.ops {
                            if let Some(s) = set.sems.get_mut(usize::from(op.sem_num)) {
                                s.pid = pid;
                            }
                        }
                        if let Some(s) = a
                            .ops
                            .first()
                            .and_then(|op| set.sems.get_mut(usize::from(op.sem_num)))
                        {
                            s.otime = now();
                        }
                        drop(tb);
                        if alter {
                            wq.notify(EV_ALL);
                        }
                        return Ok(());
                    }
                    Outcome::Block { nowait: true, .. } => return Err(Errno::EAGAIN),
                    Outcome::Block { sem, zero, .. } => {
                        set.waiting.push(Waiting { token, sem, zero })
                    }
                }
            }
            if let Err(e) = t.block(a.deadline) {
                let mut tb = self.table.lock();
                if let Some(o) = tb.get_serial_mut(a.id, serial) {
                    o.data.waiting.retain(|w| w.token != token);
                }
                return Err(if e == Errno::ETIMEDOUT {
                    Errno::EAGAIN
                } else {
                    Errno::EINTR
                });
            }
        }
    }

    /// GETVAL, GETPID, GETNCNT, GETZCNT.
    pub fn get_one(&self, id: i32, semnum: i32, cmd: i32, c: &Creds) -> Result<u64, Errno> {
        let tb = self.table.lock();
        let o = tb.get(id)?;
        o.perm.check(c, 0o444)?;
        let n = usize::try_from(semnum).map_err(|_| Errno::EINVAL)?;
        let s = o.data.sems.get(n).ok_or(Errno::EINVAL)?;
        let count = |zero: bool| {
            o.data
                .waiting
                .iter()
                .filter(|w| usize::from(w.sem) == n && w.zero == zero)
                .count() as u64
        };
        Ok(match cmd {
            GETVAL => s.val as u64,
            GETPID => s.pid as u64,
            GETNCNT => count(false),
            _ => count(true),
        })
    }

    /// GETALL: the values (after the read permission check).
    pub fn get_all(&self, id: i32, c: &Creds) -> Result<Vec<u16>, Errno> {
        let tb = self.table.lock();
        let o = tb.get(id)?;
        o.perm.check(c, 0o444)?;
        Ok(o.data.sems.iter().map(|s| s.val as u16).collect())
    }

    /// The first half of SETALL: how many values to read, and the set's
    /// serial to find it again.
    pub fn set_all_prepare(&self, id: i32, c: &Creds) -> Result<(usize, u64), Errno> {
        let tb = self.table.lock();
        let o = tb.get(id)?;
        o.perm.check(c, 0o222)?;
        Ok((o.data.sems.len(), o.serial))
    }

    /// SETALL with the values read.
    pub fn set_all(&self, id: i32, serial: u64, vals: &[u16], pid: i32) -> Result<(), Errno> {
        if vals.iter().any(|&v| i32::from(v) > SEMVMX) {
            return Err(Errno::ERANGE);
        }
        let wq = {
            let mut tb = self.table.lock();
            let o = tb.get_serial_mut(id, serial).ok_or(Errno::EIDRM)?;
            for (s, &v) in o.data.sems.iter_mut().zip(vals) {
                s.val = i32::from(v);
                s.pid = pid;
            }
            for adj in o.data.undo.values_mut() {
                adj.iter_mut().for_each(|a| *a = 0);
            }
            o.data.ctime = now();
            o.data.wq.clone()
        };
        wq.notify(EV_ALL);
        Ok(())
    }

    /// SETVAL.
    pub fn set_val(
        &self,
        id: i32,
        semnum: i32,
        val: i32,
        c: &Creds,
        pid: i32,
    ) -> Result<(), Errno> {
        if !(0..=SEMVMX).contains(&val) {
            return Err(Errno::ERANGE);
        }
        let wq = {
            let mut tb = self.table.lock();
            let o = tb.get_mut(id)?;
            let n = usize::try_from(semnum).map_err(|_| Errno::EINVAL)?;
            if n >= o.data.sems.len() {
                return Err(Errno::EINVAL);
            }
            o.perm.check(c, 0o222)?;
            for adj in o.data.undo.values_mut() {
                if let Some(a) = adj.get_mut(n) {
                    *a = 0;
                }
            }
            if let Some(s) = o.data.sems.get_mut(n) {
                s.val = val;
                s.pid = pid;
            }
            o.data.ctime = now();
            o.data.wq.clone()
        };
        wq.notify(EV_ALL);
        Ok(())
    }

    /// IPC_STAT (`index` false) or SEM_STAT/SEM_STAT_ANY.
    pub fn stat(
        &self,
        id: i32,
        index: bool,
        check: bool,
        c: &Creds,
    ) -> Result<(i32, SemidDs), Errno> {
        let tb = self.table.lock();
        let o = if index { tb.by_index(id)? } else { tb.get(id)? };
        if check {
            o.perm.check(c, 0o444)?;
        }
        Ok((
            o.id,
            SemidDs {
                perm: o.perm.to_abi(),
                otime: o.data.sems.iter().map(|s| s.otime).max().unwrap_or(0),
                ctime: o.data.ctime,
                nsems: o.data.sems.len() as u64,
                ..Default::default()
            },
        ))
    }

    /// IPC_SET.
    pub fn set(&self, id: i32, ds: &SemidDs, c: &Creds) -> Result<(), Errno> {
        let mut tb = self.table.lock();
        let o = tb.get_mut(id)?;
        o.perm.check_owner(c)?;
        o.perm.update(&ds.perm)?;
        o.data.ctime = now();
        Ok(())
    }

    /// IPC_RMID: waiters wake to EIDRM.
    pub fn remove(&self, id: i32, c: &Creds) -> Result<(), Errno> {
        let removed = self.table.lock().remove_as_owner(id, c)?;
        removed.data.wq.notify(EV_ALL);
        Ok(())
    }

    /// IPC_INFO (`usage` false) or SEM_INFO.
    pub fn info(&self, usage: bool) -> (i32, SemInfo) {
        let tb = self.table.lock();
        let mut i = SemInfo {
            semmap: SEMMAP,
            semmni: SEMMNI,
            semmns: SEMMNS,
            semmnu: SEMMNU,
            semmsl: SEMMSL,
            semopm: SEMOPM,
            semume: SEMUME,
            semusz: SEMUSZ,
            semvmx: SEMVMX,
            semaem: SEMAEM,
        };
        if usage {
            i.semusz = tb.len() as i32;
            i.semaem = tb.iter().map(|o| o.data.sems.len() as i32).sum();
        }
        (tb.max_idx().max(0), i)
    }

    /// Process `pid` exited: apply its SEM_UNDO adjustments.
    pub fn exit(&self, pid: i32) {
        let mut wake = Vec::new();
        {
            let mut tb = self.table.lock();
            for o in tb.iter_mut() {
                let Some(adj) = o.data.undo.remove(&pid) else {
                    continue;
                };
                let mut changed = false;
                for (s, a) in o.data.sems.iter_mut().zip(adj) {
                    if a != 0 {
                        s.val = (s.val + i32::from(a)).clamp(0, SEMVMX);
                        s.pid = pid;
                        changed = true;
                    }
                }
                if changed {
                    wake.push(o.data.wq.clone());
                }
            }
        }
        for q in wake {
            q.notify(EV_ALL);
        }
    }

    /// The lines of /proc/sysvipc/sem.
    pub fn proc_lines(&self) -> Vec<String> {
        let tb = self.table.lock();
        tb.iter()
            .map(|o| {
                format!(
                    "{:>10} {:>10}  {:>4o} {:>10} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10}\n",
                    o.perm.key,
                    o.id,
                    o.perm.mode,
                    o.data.sems.len(),
                    o.perm.uid,
                    o.perm.gid,
                    o.perm.cuid,
                    o.perm.cgid,
                    o.data.sems.iter().map(|s| s.otime).max().unwrap_or(0),
                    o.data.ctime
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(n: u16, o: i16, f: i16) -> Sembuf {
        Sembuf {
            sem_num: n,
            sem_op: o,
            sem_flg: f,
        }
    }

    fn sems(v: &[i32]) -> Vec<Sem> {
        v.iter()
            .map(|&val| Sem {
                val,
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn all_or_nothing() {
        let mut s = sems(&[1, 0]);
        let r = try_ops(&mut s, None, &[op(0, -1, 0), op(1, -1, 0)]).unwrap();
        assert_eq!(
            r,
            Outcome::Block {
                sem: 1,
                zero: false,
                nowait: false
            }
        );
        assert_eq!(s[0].val, 1);
        let r = try_ops(&mut s, None, &[op(0, -1, 0), op(1, 2, 0)]).unwrap();
        assert_eq!(r, Outcome::Done);
        assert_eq!((s[0].val, s[1].val), (0, 2));
    }

    #[test]
    fn wait_for_zero_and_nowait() {
        let mut s = sems(&[3]);
        let r = try_ops(&mut s, None, &[op(0, 0, IPC_NOWAIT as i16)]).unwrap();
        assert_eq!(
            r,
            Outcome::Block {
                sem: 0,
                zero: true,
                nowait: true
            }
        );
    }

    #[test]
    fn range_and_undo() {
        let mut s = sems(&[SEMVMX]);
        assert_eq!(try_ops(&mut s, None, &[op(0, 1, 0)]), Err(Errno::ERANGE));
        let mut s = sems(&[0]);
        let mut adj = vec![0i16];
        assert_eq!(
            try_ops(&mut s, Some(&mut adj), &[op(0, 5, SEM_UNDO)]),
            Ok(Outcome::Done)
        );
        assert_eq!(adj, vec![-5]);
        // Operations without SEM_UNDO leave the adjustment alone.
        assert_eq!(
            try_ops(&mut s, Some(&mut adj), &[op(0, -2, 0)]),
            Ok(Outcome::Done)
        );
        assert_eq!((s[0].val, adj[0]), (3, -5));
    }
}
