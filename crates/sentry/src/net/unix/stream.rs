//! The data path of stream sockets: a byte stream made of messages, read
//! across message boundaries except where credentials change (when the
//! reader asked for them) or where files ride along (a read stops after
//! the message that carried them).

use super::endpoint::{
    deadline, wait, Conn, Endpoint, Message, Received, RecvOpts, Scm, Ucred, EV_READABLE,
    MSG_OVERHEAD,
};
use crate::kernel::waiter::EV_ALL;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc};
use abi::Errno;
use std::sync::Arc;

impl Endpoint {
    /// Send `src` to the peer, waiting for room unless `nonblock`. Returns
    /// the bytes sent; an error only if nothing was. EPIPE: the caller
    /// raises SIGPIPE (unless MSG_NOSIGNAL).
    pub fn send_stream(
        self: &Arc<Endpoint>,
        t: &mut Task,
        src: &mut IoSrc,
        mut scm: Scm,
        nonblock: bool,
    ) -> Result<u64, Errno> {
        let total = src.remaining();
        let cred = scm.cred.unwrap_or_else(|| Ucred::of(t));
        let (peer, from, timeo) = {
            let st = self.st.lock();
            let peer = st.peer.clone().ok_or(Errno::ENOTCONN)?;
            if st.shut_wr {
                return Err(Errno::EPIPE);
            }
            (peer, st.addr.clone(), st.opts.sndtimeo)
        };
        let dl = deadline(timeo);
        let mut sent = 0u64;
        let mut entry = None;
        let partial = |sent: u64, e: Errno| if sent > 0 { Ok(sent) } else { Err(e) };
        while sent < total {
            let sndbuf = {
                let st = self.st.lock();
                if st.shut_wr {
                    return partial(sent, Errno::EPIPE);
                }
                st.opts.sndbuf as u64
            };
            {
                let pst = peer.st.lock();
                if pst.dead || pst.shut_rd {
                    return partial(sent, Errno::EPIPE);
                }
            }
            if self.wmem() >= sndbuf {
                if nonblock {
                    return partial(sent, Errno::EAGAIN);
                }
                if entry.is_none() {
                    entry = Some(self.queue.register(&t.shared, EV_ALL));
                    continue;
                }
                if let Err(e) = wait(t, dl) {
                    return partial(sent, e);
                }
                continue;
            }
            let chunk = (total - sent).min((sndbuf / 2).saturating_sub(64).max(1));
            let mut data = vec![0u8; chunk as usize];
            let n = match src.take(&mut data) {
                Ok(n) if n > 0 => n,
                Ok(_) => return partial(sent, Errno::EFAULT),
                Err(e) => return partial(sent, e),
            };
            data.truncate(n);
            let charge = n as u64 + MSG_OVERHEAD;
            {
                let mut pst = peer.st.lock();
                if pst.dead || pst.shut_rd {
                    return partial(sent, Errno::EPIPE);
                }
                pst.rcvq.push_back(Message {
                    data,
                    off: 0,
                    fds: std::mem::take(&mut scm.fds),
                    cred,
                    from: from.clone(),
                    sender: Arc::downgrade(self),
                    charge,
                });
            }
            self.charge(charge);
            peer.queue.notify(EV_READABLE);
            sent += n as u64;
        }
        Ok(sent)
    }

    /// Read from the stream into `dst`.
    pub fn recv_stream(
        &self,
        t: &mut Task,
        dst: &mut IoDst,
        o: &RecvOpts,
    ) -> Result<Received, Errno> {
        let want = dst.remaining();
        let target = if o.waitall { want.max(1) } else { 1 };
        let (timeo, passcred) = {
            let st = self.st.lock();
            if st.conn != Conn::Connected {
                return Err(Errno::EINVAL);
            }
            (st.opts.rcvtimeo, st.opts.passcred)
        };
        let dl = deadline(timeo);
        let mut r = Received::default();
        let mut copied = 0u64;
        let mut cred: Option<Ucred> = None;
        let mut entry = None;
        let mut done_msgs: Vec<Message> = Vec::new();
        'outer: loop {
            let mut st = self.st.lock();
            if st.rcvq.is_empty() {
                if copied >= target {
                    break;
                }
                if let Some(e) = st.err.take() {
                    if copied > 0 {
                        break;
                    }
                    drop(st);
                    return Err(e);
                }
                if st.shut_rd {
                    break;
                }
                if o.nonblock {
                    if copied > 0 {
                        break;
                    }
                    return Err(Errno::EAGAIN);
                }
                drop(st);
                if entry.is_none() {
                    entry = Some(self.queue.register(&t.shared, EV_ALL));
                    continue;
                }
                if let Err(e) = wait(t, dl) {
                    if copied > 0 {
                        break;
                    }
                    return Err(e);
                }
                continue;
            }
            if want == 0 {
                break;
            }
            let mut idx = 0;
            while let Some(m) = st.rcvq.get_mut(idx) {
                if passcred {
                    match cred {
                        Some(c) if c != m.cred => break 'outer,
                        Some(_) => {}
                        None => cred = Some(m.cred),
                    }
                }
                if r.from.is_none() && copied == 0 {
                    r.from = m.from.clone();
                }
                let left = m.left();
                let n = (left as u64).min(dst.remaining()) as usize;
                let piece = m.data.get(m.off..m.off + n).unwrap_or(&[]);
                match dst.put(piece) {
                    Ok(k) if k == n => {}
                    Ok(_) | Err(_) => {
                        if copied == 0 {
                            return Err(Errno::EFAULT);
                        }
                        break 'outer;
                    }
                }
                copied += n as u64;
                let has_fds = !m.fds.is_empty();
                if o.peek {
                    if has_fds {
                        r.fds = m.fds.clone();
                        break 'outer;
                    }
                    idx += 1;
                } else {
                    m.off += n;
                    if has_fds {
                        r.fds = std::mem::take(&mut m.fds);
                    }
                    if m.left() > 0 {
                        break 'outer;
                    }
                    if let Some(m) = st.rcvq.pop_front() {
                        done_msgs.push(m);
                    }
                    if has_fds {
                        break 'outer;
                    }
                }
                if dst.remaining() == 0 {
                    break 'outer;
                }
            }
            if o.peek && copied > 0 {
                break;
            }
        }
        for m in done_msgs {
            if let Some(s) = m.sender.upgrade() {
                s.uncharge(m.charge);
            }
        }
        r.n = copied;
        r.cred = if passcred { cred } else { None };
        Ok(r)
    }
}
