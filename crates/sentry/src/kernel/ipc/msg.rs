//! System V message queues.
//!
//! Senders wait while the queue is full (by bytes or by count, both
//! against msg_qbytes), receivers while no message matches; both sleep on
//! the queue's wait queue, which every change wakes, and try again.

use super::perm::{GetArgs, Table};
use crate::kernel::creds::{Creds, CAP_SYS_RESOURCE};
use crate::kernel::waiter::{WaitQueue, EV_ALL};
use crate::kernel::Task;
use abi::ipc::*;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub mtype: i64,
    pub text: Vec<u8>,
}

pub struct MsgQueue {
    msgs: VecDeque<Msg>,
    cbytes: u64,
    qbytes: u64,
    stime: i64,
    rtime: i64,
    ctime: i64,
    lspid: i32,
    lrpid: i32,
    wq: Arc<WaitQueue>,
}

fn now() -> i64 {
    crate::kernel::time::realtime().tv_sec
}

/// How msgrcv picks a message (Linux's SEARCH_*).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    Any,
    Equal(i64),
    NotEqual(i64),
    /// The lowest type not above this, first of those.
    LessEqual(i64),
    /// MSG_COPY: the message at this position.
    Number(i64),
}

impl Search {
    pub fn new(msgtyp: i64, flags: u32) -> Search {
        if flags & MSG_COPY != 0 {
            Search::Number(msgtyp)
        } else if msgtyp == 0 {
            Search::Any
        } else if msgtyp < 0 {
            Search::LessEqual(if msgtyp == i64::MIN {
                i64::MAX
            } else {
                -msgtyp
            })
        } else if flags & MSG_EXCEPT != 0 {
            Search::NotEqual(msgtyp)
        } else {
            Search::Equal(msgtyp)
        }
    }

    /// The position of the message this search picks.
    pub fn find(self, msgs: &VecDeque<Msg>) -> Option<usize> {
        match self {
            Search::Any => (!msgs.is_empty()).then_some(0),
            Search::Equal(t) => msgs.iter().position(|m| m.mtype == t),
            Search::NotEqual(t) => msgs.iter().position(|m| m.mtype != t),
            Search::LessEqual(t) => {
                let mut best: Option<(usize, i64)> = None;
                for (i, m) in msgs.iter().enumerate() {
                    if m.mtype <= t && best.is_none_or(|(_, bt)| m.mtype < bt) {
                        best = Some((i, m.mtype));
                    }
                }
                best.map(|(i, _)| i)
            }
            Search::Number(n) => usize::try_from(n).ok().filter(|&n| n < msgs.len()),
        }
    }
}

pub struct MsgRegistry {
    table: Mutex<Table<MsgQueue>>,
}

/// A msgrcv request, after its arguments are checked.
pub struct RecvArgs {
    pub id: i32,
    pub bufsz: u64,
    pub msgtyp: i64,
    pub flags: u32,
}

impl MsgRegistry {
    pub fn new() -> Arc<MsgRegistry> {
        Arc::new(MsgRegistry {
            table: Mutex::new(Table::new(MSGMNI as usize)),
        })
    }

    /// msgget(2).
    pub fn get(&self, key: i32, flags: u32, c: &Creds) -> Result<i32, Errno> {
        self.table.lock().get_or_create(
            GetArgs { key, flags },
            c,
            |_| Ok(()),
            || {
                Ok(MsgQueue {
                    msgs: VecDeque::new(),
                    cbytes: 0,
                    qbytes: MSGMNB as u64,
                    stime: 0,
                    rtime: 0,
                    ctime: now(),
                    lspid: 0,
                    lrpid: 0,
                    wq: Arc::new(WaitQueue::new()),
                })
            },
        )
    }

    /// msgsnd(2), after the message is read.
    pub fn send(&self, t: &mut Task, id: i32, msg: Msg, flags: u32) -> Result<(), Errno> {
        let pid = t.tg.tgid;
        let creds = t.creds.clone();
        let (wq, serial) = {
            let tb = self.table.lock();
            let o = tb.get(id)?;
            o.perm.check(&creds, 0o222)?;
            (o.data.wq.clone(), o.serial)
        };
        let _entry = wq.register(&t.shared, EV_ALL);
        let len = msg.text.len() as u64;
        let mut msg = Some(msg);
        loop {
            {
                let mut tb = self.table.lock();
                let o = tb.get_serial_mut(id, serial).ok_or(Errno::EIDRM)?;
                o.perm.check(&creds, 0o222)?;
                let q = &mut o.data;
                if q.cbytes + len <= q.qbytes && (q.msgs.len() as u64) < q.qbytes {
                    if let Some(m) = msg.take() {
                        q.msgs.push_back(m);
                    }
                    q.cbytes += len;
                    q.lspid = pid;
                    q.stime = now();
                    drop(tb);
                    wq.notify(EV_ALL);
                    return Ok(());
                }
                if flags & IPC_NOWAIT != 0 {
                    return Err(Errno::EAGAIN);
                }
            }
            if t.block(None).is_err() {
                return Err(Errno::ERESTARTNOHAND);
            }
        }
    }

    /// msgrcv(2): the message taken (or copied, MSG_COPY), its text cut to
    /// the buffer's size.
    pub fn receive(&self, t: &mut Task, a: RecvArgs) -> Result<Msg, Errno> {
        let pid = t.tg.tgid;
        let creds = t.creds.clone();
        let search = Search::new(a.msgtyp, a.flags);
        let copy = a.flags & MSG_COPY != 0;
        let (wq, serial) = {
            let tb = self.table.lock();
            let o = tb.get(a.id)?;
            (o.data.wq.clone(), o.serial)
        };
        let _entry = wq.register(&t.shared, EV_ALL);
        loop {
            {
                let mut tb = self.table.lock();
                let o = tb.get_serial_mut(a.id, serial).ok_or(Errno::EIDRM)?;
                o.perm.check(&creds, 0o444)?;
                let q = &mut o.data;
                if let Some(i) = search.find(&q.msgs) {
                    let size = q.msgs.get(i).map_or(0, |m| m.text.len() as u64);
                    if a.bufsz < size && a.flags & MSG_NOERROR == 0 {
                        return Err(Errno::E2BIG);
                    }
                    let mut m = if copy {
                        if size > a.bufsz.min(MSGMAX as u64) {
                            return Err(Errno::EINVAL);
                        }
                        q.msgs.get(i).cloned().ok_or(Errno::ENOMSG)?
                    } else {
                        let m = q.msgs.remove(i).ok_or(Errno::ENOMSG)?;
                        q.cbytes -= size;
                        q.rtime = now();
                        q.lrpid = pid;
                        m
                    };
                    drop(tb);
                    if !copy {
                        wq.notify(EV_ALL);
                    }
                    m.text
                        .truncate(usize::try_from(a.bufsz).unwrap_or(usize::MAX));
                    return Ok(m);
                }
                if a.flags & IPC_NOWAIT != 0 {
                    return Err(Errno::ENOMSG);
                }
            }
            if t.block(None).is_err() {
                return Err(Errno::ERESTARTNOHAND);
            }
        }
    }

    /// IPC_STAT (`index` false) or MSG_STAT/MSG_STAT_ANY.
    pub fn stat(
        &self,
        id: i32,
        index: bool,
        check: bool,
        c: &Creds,
    ) -> Result<(i32, MsqidDs), Errno> {
        let tb = self.table.lock();
        let o = if index { tb.by_index(id)? } else { tb.get(id)? };
        if check {
            o.perm.check(c, 0o444)?;
        }
        let q = &o.data;
        Ok((
            o.id,
            MsqidDs {
                perm: o.perm.to_abi(),
                stime: q.stime,
                rtime: q.rtime,
                ctime: q.ctime,
                cbytes: q.cbytes,
                qnum: q.msgs.len() as u64,
                qbytes: q.qbytes,
                lspid: q.lspid,
                lrpid: q.lrpid,
                ..Default::default()
            },
        ))
    }

    /// IPC_SET: owner, mode and msg_qbytes (above MSGMNB only with
    /// CAP_SYS_RESOURCE).
    pub fn set(&self, id: i32, ds: &MsqidDs, c: &Creds) -> Result<(), Errno> {
        let wq = {
            let mut tb = self.table.lock();
            let o = tb.get_mut(id)?;
            o.perm.check_owner(c)?;
            if ds.qbytes > MSGMNB as u64 && !c.has_cap(CAP_SYS_RESOURCE) {
                return Err(Errno::EPERM);
            }
            o.perm.update(&ds.perm)?;
            o.data.qbytes = ds.qbytes;
            o.data.ctime = now();
            o.data.wq.clone()
        };
        // More room may let senders go on.
        wq.notify(EV_ALL);
        Ok(())
    }

    /// IPC_RMID: waiters wake to EIDRM.
    pub fn remove(&self, id: i32, c: &Creds) -> Result<(), Errno> {
        let removed = self.table.lock().remove_as_owner(id, c)?;
        removed.data.wq.notify(EV_ALL);
        Ok(())
    }

    /// IPC_INFO (`usage` false) or MSG_INFO.
    pub fn info(&self, usage: bool) -> (i32, MsgInfo) {
        let tb = self.table.lock();
        let mut i = MsgInfo {
            msgpool: MSGPOOL,
            msgmap: MSGMAP,
            msgmax: MSGMAX,
            msgmnb: MSGMNB,
            msgmni: MSGMNI,
            msgssz: MSGSSZ,
            msgtql: MSGTQL,
            msgseg: MSGSEG,
            pad: 0,
        };
        if usage {
            i.msgpool = tb.len() as i32;
            i.msgmap = tb.iter().map(|o| o.data.msgs.len() as i32).sum();
            i.msgtql = tb.iter().map(|o| o.data.cbytes as i32).sum();
        }
        (tb.max_idx().max(0), i)
    }

    /// The lines of /proc/sysvipc/msg.
    pub fn proc_lines(&self) -> Vec<String> {
        let tb = self.table.lock();
        tb.iter()
            .map(|o| {
                let q = &o.data;
                format!(
                    "{:>10} {:>10}  {:>4o}  {:>10} {:>10} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10}\n",
                    o.perm.key,
                    o.id,
                    o.perm.mode,
                    q.cbytes,
                    q.msgs.len(),
                    q.lspid,
                    q.lrpid,
                    o.perm.uid,
                    o.perm.gid,
                    o.perm.cuid,
                    o.perm.cgid,
                    q.stime,
                    q.rtime,
                    q.ctime
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(types: &[i64]) -> VecDeque<Msg> {
        types
            .iter()
            .map(|&mtype| Msg {
                mtype,
                text: Vec::new(),
            })
            .collect()
    }

    #[test]
    fn type_selection() {
        let m = q(&[5, 3, 7, 3, 1]);
        assert_eq!(Search::new(0, 0).find(&m), Some(0));
        assert_eq!(Search::new(3, 0).find(&m), Some(1));
        assert_eq!(Search::new(5, MSG_EXCEPT).find(&m), Some(1));
        assert_eq!(Search::new(-4, 0).find(&m), Some(4));
        assert_eq!(Search::new(-4, 0).find(&q(&[5, 3, 7, 3])), Some(1));
        assert_eq!(Search::new(-2, MSG_EXCEPT).find(&q(&[5, 3])), None);
        assert_eq!(Search::new(9, 0).find(&m), None);
        assert_eq!(Search::new(2, MSG_COPY).find(&m), Some(2));
        assert_eq!(Search::new(5, MSG_COPY).find(&m), None);
        assert_eq!(Search::new(-1, MSG_COPY).find(&m), None);
        assert_eq!(Search::new(i64::MIN, 0), Search::LessEqual(i64::MAX));
    }
}
