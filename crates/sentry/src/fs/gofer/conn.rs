//! The Sentry's end of one Gofer connection: frames over a SOCK_SEQPACKET
//! socket, one per message, fds received with SCM_RIGHTS.
//!
//! Calls are serialised per connection (one lock held from the first send
//! to the last reply), but a call may carry several requests: they are all
//! sent, then all answered, in order — the Gofer answers requests in the
//! order it reads them — so a walk-then-getattr or walk-open-clunk costs
//! one round trip. Clunks of released handles wait for the next call and
//! travel with it.
//!
//! Anything the Gofer does wrong — closing the socket, dying, a reply that
//! does not answer its request, an fd where none belongs — marks the
//! connection broken: that call and every later one fail with EIO. No
//! reply is trusted before [`Rmessage::answers`] accepts it.

use abi::Errno;
use parking_lot::Mutex;
use proto::{check_frame_size, peek_frame_size, Fid, Rmessage, Tag, Tmessage, NOTAG};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags, SendAncillaryBuffer,
    SendFlags,
};
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// One reply and the fd that came with it (Rlopen and Rlcreate only).
#[derive(Debug)]
pub struct Answer {
    pub msg: Rmessage,
    pub fd: Option<OwnedFd>,
}

impl Answer {
    /// The reply, or the errno of an Rlerror.
    pub fn ok(self) -> Result<Answer, Errno> {
        match self.msg.errno() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

struct State {
    msize: u32,
    out: Vec<u8>,
    buf: Vec<u8>,
    /// Fids released since the last call, clunked with the next one.
    clunks: Vec<Fid>,
}

pub struct Conn {
    sock: OwnedFd,
    st: Mutex<State>,
    broken: AtomicBool,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "gofer::Conn(broken={})", self.is_broken())
    }
}

/// Fids pending a clunk before they are sent anyway.
const MAX_DEFERRED_CLUNKS: usize = 64;

impl Conn {
    pub fn new(sock: OwnedFd) -> Conn {
        Conn {
            sock,
            st: Mutex::new(State {
                msize: proto::MIN_MSIZE,
                out: Vec::new(),
                buf: vec![0; proto::DEFAULT_MSIZE as usize + 1],
                clunks: Vec::new(),
            }),
            broken: AtomicBool::new(false),
        }
    }

    /// Stops sending: the Gofer sees the end of the connection and exits.
    #[cfg(test)]
    pub fn shutdown(&self) {
        let _ = rustix::net::shutdown(self.sock.as_fd(), rustix::net::Shutdown::Write);
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }

    fn broken(&self, why: &str) -> Errno {
        if !self.broken.swap(true, Ordering::Relaxed) {
            tracing::warn!("gofer connection lost: {why}; host files now answer EIO");
        }
        Errno::EIO
    }

    /// The largest frame either side may send.
    pub fn msize(&self) -> u32 {
        self.st.lock().msize
    }

    /// The largest frame our end of the socket can send, up to `want`:
    /// Linux refuses a SOCK_SEQPACKET message larger than the sender's send
    /// buffer, so the buffer is grown (as far as net.core.wmem_max lets
    /// it) and msize kept below it. The Gofer does the same on its end.
    pub fn frame_capacity(&self, want: u32) -> u32 {
        let sock = self.sock.as_fd();
        let _ = rustix::net::sockopt::set_socket_send_buffer_size(sock, want as usize * 2);
        let got = rustix::net::sockopt::socket_send_buffer_size(sock).unwrap_or(0);
        let cap = u32::try_from(got.saturating_sub(8192)).unwrap_or(u32::MAX) & !4095;
        want.min(cap).max(proto::MIN_MSIZE)
    }

    /// Tversion: agree on msize and dialect. Called once, first.
    pub fn handshake(&self, want_msize: u32) -> Result<u32, Errno> {
        let req = Tmessage::Version {
            msize: want_msize,
            version: proto::VERSION.to_vec(),
        };
        let mut st = self.st.lock();
        st.msize = want_msize.max(proto::MIN_MSIZE);
        let a = self.exchange(&mut st, &[(NOTAG, &req)])?;
        let Some(Answer {
            msg: Rmessage::Version { msize, version },
            ..
        }) = a.into_iter().next()
        else {
            return Err(self.broken("no Rversion"));
        };
        if version != proto::VERSION || !(proto::MIN_MSIZE..=want_msize).contains(&msize) {
            return Err(self.broken("the Gofer does not speak 9P2000.L"));
        }
        st.msize = msize;
        Ok(msize)
    }

    /// Clunk `fid` with the next call (no round trip of its own).
    pub fn clunk_later(&self, fid: Fid) {
        if self.is_broken() {
            return;
        }
        let flush = {
            let mut st = self.st.lock();
            st.clunks.push(fid);
            st.clunks.len() >= MAX_DEFERRED_CLUNKS
        };
        if flush {
            let _ = self.call(&[]);
        }
    }

    /// Sends `reqs` (after any deferred clunks) and returns their replies,
    /// in order. Rlerror replies come back as answers, not errors: a batch
    /// whose first request fails may still have later ones to look at.
    pub fn call(&self, reqs: &[Tmessage]) -> Result<Vec<Answer>, Errno> {
        if self.is_broken() {
            return Err(Errno::EIO);
        }
        let mut st = self.st.lock();
        let clunks: Vec<Tmessage> = st
            .clunks
            .drain(..)
            .map(|fid| Tmessage::Clunk { fid })
            .collect();
        let all: Vec<(Tag, &Tmessage)> = clunks
            .iter()
            .chain(reqs.iter())
            .enumerate()
            .map(|(i, m)| (i as Tag, m))
            .collect();
        let mut answers = self.exchange(&mut st, &all)?;
        Ok(answers.split_off(clunks.len()))
    }

    fn exchange(&self, st: &mut State, reqs: &[(Tag, &Tmessage)]) -> Result<Vec<Answer>, Errno> {
        if self.is_broken() {
            return Err(Errno::EIO);
        }
        let msize = st.msize;
        for (tag, req) in reqs {
            st.out.clear();
            req.encode(*tag, &mut st.out).map_err(|_| Errno::EINVAL)?;
            if st.out.len() > msize as usize {
                // Our own request too big (a huge name list): refuse it
                // before anything of the batch is sent.
                return Err(Errno::ENAMETOOLONG);
            }
        }
        for (tag, req) in reqs {
            st.out.clear();
            req.encode(*tag, &mut st.out).map_err(|_| Errno::EINVAL)?;
            self.send(&st.out)?;
        }
        let mut answers = Vec::with_capacity(reqs.len());
        for (tag, req) in reqs {
            let (n, fd) = self.recv(&mut st.buf)?;
            let frame = &st.buf[..n];
            let size_ok = peek_frame_size(frame)
                .is_some_and(|s| check_frame_size(s, msize).is_ok() && s as usize == n);
            if !size_ok {
                return Err(self.broken("a reply with a bad size"));
            }
            let (rtag, msg) = match Rmessage::decode(frame) {
                Ok(r) => r,
                Err(_) => return Err(self.broken("a reply that does not decode")),
            };
            if rtag != *tag || !msg.answers(req) {
                return Err(self.broken("a reply to another request"));
            }
            // Exactly one fd with Rlopen/Rlcreate, none with anything else.
            let want_fd = msg.carries_fd() && req.expects_fd();
            if want_fd != fd.is_some() {
                return Err(self.broken("file descriptors with the wrong reply"));
            }
            answers.push(Answer { msg, fd });
        }
        Ok(answers)
    }

    fn send(&self, frame: &[u8]) -> Result<(), Errno> {
        let mut space: [MaybeUninit<u8>; 0] = [];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let iov = [IoSlice::new(frame)];
        loop {
            match rustix::net::sendmsg(self.sock.as_fd(), &iov, &mut control, SendFlags::NOSIGNAL) {
                Ok(n) if n == frame.len() => return Ok(()),
                Ok(_) => return Err(self.broken("a short send")),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(self.broken(&format!("send: {e}"))),
            }
        }
    }

    /// One frame and the fd it carried, if any.
    fn recv(&self, buf: &mut [u8]) -> Result<(usize, Option<OwnedFd>), Errno> {
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let r = loop {
            let mut iov = [IoSliceMut::new(buf)];
            match rustix::net::recvmsg(
                self.sock.as_fd(),
                &mut iov,
                &mut control,
                RecvFlags::CMSG_CLOEXEC,
            ) {
                Err(rustix::io::Errno::INTR) => continue,
                r => break r,
            }
        };
        let r = match r {
            Ok(r) => r,
            Err(e) => return Err(self.broken(&format!("receive: {e}"))),
        };
        let mut fds: Vec<OwnedFd> = Vec::new();
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(got) = m {
                fds.extend(got);
            }
        }
        if r.bytes == 0 {
            return Err(self.broken("the Gofer closed the connection"));
        }
        if r.flags.contains(ReturnFlags::TRUNC) || r.flags.contains(ReturnFlags::CTRUNC) {
            return Err(self.broken("an oversized reply"));
        }
        if fds.len() > 1 {
            return Err(self.broken("several fds with one reply"));
        }
        Ok((r.bytes, fds.pop()))
    }
}
