//! The data path of datagram and seqpacket sockets: one message per
//! send, read whole or truncated (MSG_TRUNC), with Linux's queue limit for
//! receivers that are not connected back to the sender.

use super::endpoint::{
    deadline, wait, Conn, Endpoint, Message, Received, RecvOpts, Scm, SockType, Ucred, EV_READABLE,
    EV_WRITABLE, MAX_DGRAM_QLEN, MSG_OVERHEAD,
};
use crate::kernel::waiter::EV_ALL;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc};
use crate::net::MSG_TRUNC;
use abi::Errno;
use std::sync::Arc;

impl Endpoint {
    /// Send one message to `to` (sendto with an address) or to the peer.
    pub fn send_dgram(
        self: &Arc<Endpoint>,
        t: &mut Task,
        src: &mut IoSrc,
        scm: Scm,
        to: Option<Arc<Endpoint>>,
        nonblock: bool,
    ) -> Result<u64, Errno> {
        let (target, connected, from, sndbuf, timeo) = {
            let mut st = self.st.lock();
            if self.ty == SockType::SeqPacket {
                if let Some(e) = st.err.take() {
                    return Err(e);
                }
                if st.conn != Conn::Connected {
                    return Err(Errno::ENOTCONN);
                }
            }
            let (target, connected) = match to {
                Some(to) if self.ty == SockType::Dgram => (to, false),
                _ => (st.peer.clone().ok_or(Errno::ENOTCONN)?, true),
            };
            if st.shut_wr {
                return Err(Errno::EPIPE);
            }
            (
                target,
                connected,
                st.addr.clone(),
                st.opts.sndbuf as u64,
                st.opts.sndtimeo,
            )
        };
        let len = src.remaining();
        if len > sndbuf.saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        let data = src.take_all()?;
        if (data.len() as u64) < len {
            return Err(Errno::EFAULT);
        }
        let cred = scm.cred.unwrap_or_else(|| Ucred::of(t));
        let charge = len + MSG_OVERHEAD;
        let dl = deadline(timeo);
        let mut entry_self = None;
        let mut entry_target = None;
        let mut msg = Some(Message {
            data,
            off: 0,
            fds: scm.fds,
            cred,
            from,
            sender: Arc::downgrade(self),
            charge,
        });
        loop {
            // sock_alloc_send_pskb: wait while our own buffer is full.
            if self.wmem() >= sndbuf {
                if nonblock {
                    return Err(Errno::EAGAIN);
                }
                if entry_self.is_none() {
                    entry_self = Some(self.queue.register(&t.shared, EV_ALL));
                    continue;
                }
                wait(t, dl)?;
                continue;
            }
            let full = {
                let mut tst = target.st.lock();
                if tst.dead {
                    drop(tst);
                    if connected && self.ty == SockType::Dgram {
                        let mut st = self.st.lock();
                        if st.peer.as_ref().is_some_and(|p| Arc::ptr_eq(p, &target)) {
                            st.peer = None;
                            st.conn = Conn::Closed;
                        }
                    }
                    return Err(if self.ty == SockType::Dgram {
                        Errno::ECONNREFUSED
                    } else {
                        Errno::EPIPE
                    });
                }
                if let Some(pp) = &tst.peer {
                    if !Arc::ptr_eq(pp, self) {
                        return Err(Errno::EPERM);
                    }
                }
                if tst.shut_rd {
                    return Err(Errno::EPIPE);
                }
                let to_self = Arc::ptr_eq(&target, self);
                if !to_self && tst.peer.is_none() && tst.rcvq.len() > MAX_DGRAM_QLEN {
                    true
                } else {
                    if let Some(m) = msg.take() {
                        tst.rcvq.push_back(m);
                    }
                    false
                }
            };
            if !full {
                self.charge(charge);
                target.queue.notify(EV_READABLE);
                return Ok(len);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            if entry_target.is_none() {
                entry_target = Some(target.queue.register(&t.shared, EV_ALL));
                continue;
            }
            wait(t, dl)?;
        }
    }

    /// Receive one message into `dst`.
    pub fn recv_dgram(
        &self,
        t: &mut Task,
        dst: &mut IoDst,
        o: &RecvOpts,
    ) -> Result<Received, Errno> {
        let (timeo, passcred) = {
            let st = self.st.lock();
            if self.ty == SockType::SeqPacket && st.conn != Conn::Connected {
                return Err(Errno::ENOTCONN);
            }
            (st.opts.rcvtimeo, st.opts.passcred)
        };
        let dl = deadline(timeo);
        let mut entry = None;
        loop {
            let mut st = self.st.lock();
            if !st.rcvq.is_empty() {
                let m = if o.peek {
                    st.rcvq.front().map(|m| Message {
                        data: m.data.clone(),
                        off: m.off,
                        fds: m.fds.clone(),
                        cred: m.cred,
                        from: m.from.clone(),
                        sender: std::sync::Weak::new(),
                        charge: 0,
                    })
                } else {
                    st.rcvq.pop_front()
                };
                let senders: Vec<_> = if o.peek {
                    Vec::new()
                } else {
                    st.dgram_senders.retain(|w| w.strong_count() > 0);
                    st.dgram_senders.clone()
                };
                drop(st);
                let Some(m) = m else { continue };
                if !o.peek {
                    if let Some(s) = m.sender.upgrade() {
                        s.uncharge(m.charge);
                    }
                    self.queue.notify(EV_WRITABLE);
                    for s in senders.iter().filter_map(|w| w.upgrade()) {
                        s.queue.notify(EV_WRITABLE);
                    }
                }
                let body = m.data.get(m.off..).unwrap_or(&[]);
                let n = (body.len() as u64).min(dst.remaining()) as usize;
                let k = dst.put(body.get(..n).unwrap_or(&[]))?;
                if k < n {
                    return Err(Errno::EFAULT);
                }
                let mut r = Received {
                    n: n as u64,
                    from: m.from,
                    fds: m.fds,
                    cred: passcred.then_some(m.cred),
                    flags: 0,
                };
                if n < body.len() {
                    r.flags |= MSG_TRUNC;
                    if o.trunc {
                        r.n = body.len() as u64;
                    }
                }
                return Ok(r);
            }
            if let Some(e) = st.err.take() {
                return Err(e);
            }
            // A nonblocking datagram read answers EAGAIN before it looks
            // at shutdown; seqpacket reads see end of file first.
            if o.nonblock && self.ty == SockType::Dgram {
                return Err(Errno::EAGAIN);
            }
            if st.shut_rd {
                return Ok(Received::default());
            }
            drop(st);
            if o.nonblock {
                return Err(Errno::EAGAIN);
            }
            if entry.is_none() {
                entry = Some(self.queue.register(&t.shared, EV_ALL));
                continue;
            }
            wait(t, dl)?;
        }
    }
}
