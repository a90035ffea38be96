//! A Unix socket endpoint: its connection state, receive queue, options
//! and readiness. Stream and datagram data paths are in `stream.rs` and
//! `dgram.rs`; binding, listening and connecting are here.
//!
//! Messages carry the sender's credentials, its address and passed files;
//! a sender is charged for what it sent until the receiver takes it
//! (Linux's sk_wmem_alloc), which is what limits a writer.
//!
//! Lock order: an endpoint's `st` is held alone, except that a connecting
//! socket may hold its own while it takes a listener's (a listener never
//! takes another endpoint's lock). Notifications happen after unlocking.

use super::addr::UnixAddr;
use crate::kernel::waiter::{WaitQueue, EV_ALL};
use crate::kernel::Task;
use crate::vfs::File;
use abi::Errno;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

pub(super) const POLLIN: u32 = libc::POLLIN as u32;
pub(super) const POLLOUT: u32 = libc::POLLOUT as u32;
pub(super) const POLLERR: u32 = libc::POLLERR as u32;
pub(super) const POLLHUP: u32 = libc::POLLHUP as u32;
pub(super) const POLLRDNORM: u32 = libc::POLLRDNORM as u32;
pub(super) const POLLWRNORM: u32 = libc::POLLWRNORM as u32;
pub(super) const POLLWRBAND: u32 = libc::POLLWRBAND as u32;
pub(super) const POLLRDHUP: u32 = libc::POLLRDHUP as u32;

pub(super) const EV_READABLE: u64 = (POLLIN | POLLRDNORM) as u64;
pub(super) const EV_WRITABLE: u64 = (POLLOUT | POLLWRNORM | POLLWRBAND) as u64;

/// /proc/sys/net/core/wmem_default and rmem_default.
pub const DEFAULT_BUF: u32 = 212992;
/// /proc/sys/net/core/wmem_max and rmem_max as the sandbox shows them.
pub const MAX_BUF: u32 = 212992;
/// The least SO_SNDBUF / SO_RCVBUF leave (Linux's SOCK_MIN_SNDBUF/RCVBUF).
pub const MIN_SNDBUF: u32 = 4608;
pub const MIN_RCVBUF: u32 = 2304;
/// What a queued message costs its sender beyond its bytes (an skb's overhead).
pub(super) const MSG_OVERHEAD: u64 = 576;
/// /proc/sys/net/unix/max_dgram_qlen.
pub(super) const MAX_DGRAM_QLEN: usize = 10;
/// /proc/sys/net/core/somaxconn.
pub const SOMAXCONN: usize = 4096;
/// The most files one SCM_RIGHTS message may carry (SCM_MAX_FD).
pub const SCM_MAX_FD: usize = 253;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SockType {
    Stream,
    Dgram,
    SeqPacket,
}

impl SockType {
    pub fn from_raw(ty: u32) -> Option<SockType> {
        match ty {
            crate::net::SOCK_STREAM => Some(SockType::Stream),
            // Linux turns SOCK_RAW into SOCK_DGRAM for Unix sockets.
            crate::net::SOCK_DGRAM | crate::net::SOCK_RAW => Some(SockType::Dgram),
            crate::net::SOCK_SEQPACKET => Some(SockType::SeqPacket),
            _ => None,
        }
    }

    pub fn raw(self) -> u32 {
        match self {
            SockType::Stream => crate::net::SOCK_STREAM,
            SockType::Dgram => crate::net::SOCK_DGRAM,
            SockType::SeqPacket => crate::net::SOCK_SEQPACKET,
        }
    }

    /// Stream and seqpacket sockets have connections.
    pub fn connection(self) -> bool {
        self != SockType::Dgram
    }
}

/// struct ucred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Ucred {
    /// What SCM_CREDENTIALS reports for a sender that gave none (real ids).
    pub fn of(t: &Task) -> Ucred {
        Ucred {
            pid: t.tg.tgid,
            uid: t.creds.uid,
            gid: t.creds.gid,
        }
    }

    /// What SO_PEERCRED reports (effective ids).
    pub fn peer_of(t: &Task) -> Ucred {
        Ucred {
            pid: t.tg.tgid,
            uid: t.creds.euid,
            gid: t.creds.egid,
        }
    }

    /// No credentials: pid 0 and invalid ids (-1).
    pub const NONE: Ucred = Ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };

    pub fn to_bytes(self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&self.pid.to_ne_bytes());
        b[4..8].copy_from_slice(&self.uid.to_ne_bytes());
        b[8..].copy_from_slice(&self.gid.to_ne_bytes());
        b
    }
}

/// Control data a sender attaches (decoded from its cmsgs).
#[derive(Default)]
pub struct Scm {
    pub fds: Vec<Arc<File>>,
    /// SCM_CREDENTIALS the sender gave (already checked).
    pub cred: Option<Ucred>,
}

/// One queued message (a datagram, or a piece of a stream).
pub(super) struct Message {
    pub data: Vec<u8>,
    /// Bytes of `data` already read (streams).
    pub off: usize,
    pub fds: Vec<Arc<File>>,
    pub cred: Ucred,
    pub from: Option<UnixAddr>,
    pub sender: Weak<Endpoint>,
    pub charge: u64,
}

impl Message {
    pub fn left(&self) -> usize {
        self.data.len() - self.off
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Conn {
    /// New, or a datagram socket without a peer.
    Closed,
    Listening,
    Connected,
}

/// Socket options (SOL_SOCKET).
#[derive(Clone, Debug)]
pub struct Opts {
    pub passcred: bool,
    pub sndbuf: u32,
    pub rcvbuf: u32,
    pub rcvtimeo: Option<Duration>,
    pub sndtimeo: Option<Duration>,
    pub reuseaddr: bool,
    pub keepalive: bool,
    pub linger: (i32, i32),
}

impl Default for Opts {
    fn default() -> Opts {
        Opts {
            passcred: false,
            sndbuf: DEFAULT_BUF,
            rcvbuf: DEFAULT_BUF,
            rcvtimeo: None,
            sndtimeo: None,
            reuseaddr: false,
            keepalive: false,
            linger: (0, 0),
        }
    }
}

pub(super) struct State {
    pub conn: Conn,
    pub peer: Option<Arc<Endpoint>>,
    pub backlog: usize,
    /// Listening: connections made and not yet accepted.
    pub pending: VecDeque<Arc<Endpoint>>,
    pub addr: Option<UnixAddr>,
    pub rcvq: VecDeque<Message>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    /// A pending error (SO_ERROR; ECONNRESET when the peer closed with unread data).
    pub err: Option<Errno>,
    pub dead: bool,
    pub opts: Opts,
    pub peercred: Option<Ucred>,
    /// Datagram sockets connected to this one: told when its full queue drains.
    pub dgram_senders: Vec<Weak<Endpoint>>,
}

pub struct Endpoint {
    pub ty: SockType,
    pub(super) st: Mutex<State>,
    pub(super) queue: WaitQueue,
    /// What this endpoint sent that is still queued at a receiver.
    pub(super) wmem: AtomicU64,
    pub ino: u64,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "UnixEndpoint({:?}, ino={})", self.ty, self.ino)
    }
}

static NEXT_INO: AtomicU64 = AtomicU64::new(1);

/// How a blocking operation waits: until `deadline` (SO_RCVTIMEO /
/// SO_SNDTIMEO), EAGAIN when it passes; a signal restarts the call unless
/// a timeout was set (then EINTR), as Linux's sock_intr_errno.
pub(super) fn wait(t: &mut Task, deadline: Option<Instant>) -> Result<(), Errno> {
    match t.block(deadline) {
        Ok(()) => Ok(()),
        Err(Errno::ETIMEDOUT) => Err(Errno::EAGAIN),
        Err(_) if deadline.is_some() => Err(Errno::EINTR),
        Err(_) => Err(Errno::ERESTARTSYS),
    }
}

pub(super) fn deadline(timeo: Option<Duration>) -> Option<Instant> {
    timeo.map(|d| Instant::now() + d)
}

impl Endpoint {
    pub fn new(ty: SockType) -> Arc<Endpoint> {
        Arc::new(Endpoint {
            ty,
            st: Mutex::new(State {
                conn: Conn::Closed,
                peer: None,
                backlog: 0,
                pending: VecDeque::new(),
                addr: None,
                rcvq: VecDeque::new(),
                shut_rd: false,
                shut_wr: false,
                err: None,
                dead: false,
                opts: Opts::default(),
                peercred: None,
                dgram_senders: Vec::new(),
            }),
            queue: WaitQueue::new(),
            wmem: AtomicU64::new(0),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        })
    }

    /// socketpair(2): two endpoints connected to each other.
    pub fn pair(ty: SockType, cred: Ucred) -> (Arc<Endpoint>, Arc<Endpoint>) {
        let a = Endpoint::new(ty);
        let b = Endpoint::new(ty);
        for (x, y) in [(&a, &b), (&b, &a)] {
            let mut st = x.st.lock();
            st.conn = Conn::Connected;
            st.peer = Some(y.clone());
            st.peercred = Some(cred);
        }
        (a, b)
    }

    pub fn is_dead(&self) -> bool {
        self.st.lock().dead
    }

    pub fn wait_queue(&self) -> &WaitQueue {
        &self.queue
    }

    pub fn opts(&self) -> Opts {
        self.st.lock().opts.clone()
    }

    pub fn set_opts(&self, f: impl FnOnce(&mut Opts)) {
        f(&mut self.st.lock().opts);
        // A bigger send buffer may make a writer ready.
        self.queue.notify(EV_WRITABLE);
    }

    pub fn listening(&self) -> bool {
        self.st.lock().conn == Conn::Listening
    }

    /// SO_ERROR: the pending error, cleared.
    pub fn take_error(&self) -> Option<Errno> {
        self.st.lock().err.take()
    }

    pub fn peercred(&self) -> Ucred {
        self.st.lock().peercred.unwrap_or(Ucred::NONE)
    }

    pub fn wmem(&self) -> u64 {
        self.wmem.load(Ordering::Relaxed)
    }

    /// The bound name, if any.
    pub fn addr(&self) -> Option<UnixAddr> {
        self.st.lock().addr.clone()
    }

    /// The peer's name: ENOTCONN without a peer; None if it is unnamed.
    pub fn peer_addr(&self) -> Result<Option<UnixAddr>, Errno> {
        let peer = self.st.lock().peer.clone().ok_or(Errno::ENOTCONN)?;
        let a = peer.st.lock().addr.clone();
        Ok(a)
    }

    /// FIONREAD/SIOCINQ: EINVAL while listening; all queued bytes for
    /// stream and seqpacket sockets, the next datagram's size otherwise.
    pub fn inq(&self) -> Result<u64, Errno> {
        let st = self.st.lock();
        if st.conn == Conn::Listening {
            return Err(Errno::EINVAL);
        }
        Ok(match self.ty {
            SockType::Dgram => st.rcvq.front().map_or(0, |m| m.left() as u64),
            _ => st.rcvq.iter().map(|m| m.left() as u64).sum(),
        })
    }

    /// Record the name bound (after the namespace accepted it). EINVAL if
    /// the socket already has one.
    pub fn set_addr(&self, a: UnixAddr) -> Result<(), Errno> {
        let mut st = self.st.lock();
        if st.addr.is_some() {
            return Err(Errno::EINVAL);
        }
        st.addr = Some(a);
        Ok(())
    }

    /// Charge `n` bytes to this sender / give them back once received.
    pub(super) fn charge(&self, n: u64) {
        self.wmem.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn uncharge(&self, n: u64) {
        let _ = self
            .wmem
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                Some(w.saturating_sub(n))
            });
        self.queue.notify(EV_WRITABLE);
    }

    /// unix_writable: not listening and at most a quarter of the send
    /// buffer in flight.
    pub(super) fn writable(&self, st: &State) -> bool {
        st.conn != Conn::Listening && self.wmem() * 4 <= st.opts.sndbuf as u64
    }

    /// Readiness (unix_poll and unix_dgram_poll).
    pub fn poll(&self) -> u32 {
        let st = self.st.lock();
        let mut m = 0;
        if st.err.is_some() {
            m |= POLLERR;
        }
        if st.shut_rd && st.shut_wr {
            m |= POLLHUP;
        }
        if st.shut_rd {
            m |= POLLRDHUP | POLLIN | POLLRDNORM;
        }
        if !st.rcvq.is_empty() || !st.pending.is_empty() {
            m |= POLLIN | POLLRDNORM;
        }
        if self.ty.connection() && st.conn == Conn::Closed {
            m |= POLLHUP;
        }
        let mut writable = self.writable(&st);
        let peer = st.peer.clone();
        drop(st);
        if writable && self.ty == SockType::Dgram {
            if let Some(p) = peer {
                let pst = p.st.lock();
                let peer_of_peer = pst.peer.as_ref().map(Arc::as_ptr);
                if peer_of_peer != Some(self as *const Endpoint) && pst.rcvq.len() > MAX_DGRAM_QLEN
                {
                    writable = false;
                }
            }
        }
        if writable {
            m |= POLLOUT | POLLWRNORM | POLLWRBAND;
        }
        m
    }

    /// shutdown(2): `rd`/`wr` for this side; a connected stream or
    /// seqpacket peer gets the mirror image.
    pub fn shutdown(&self, rd: bool, wr: bool) {
        let peer = {
            let mut st = self.st.lock();
            st.shut_rd |= rd;
            st.shut_wr |= wr;
            if self.ty.connection() {
                st.peer.clone()
            } else {
                None
            }
        };
        self.queue.notify(EV_ALL);
        if let Some(p) = peer {
            {
                let mut pst = p.st.lock();
                pst.shut_wr |= rd;
                pst.shut_rd |= wr;
            }
            p.queue.notify(EV_ALL);
        }
    }

    /// listen(2): EINVAL unbound or connected; EOPNOTSUPP for datagrams.
    pub fn listen(&self, backlog: i32, cred: Ucred) -> Result<(), Errno> {
        if self.ty == SockType::Dgram {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut st = self.st.lock();
        if st.addr.is_none() || (st.conn != Conn::Closed && st.conn != Conn::Listening) {
            return Err(Errno::EINVAL);
        }
        let b = if backlog < 0 {
            SOMAXCONN
        } else {
            backlog as usize
        };
        st.backlog = b.min(SOMAXCONN);
        st.conn = Conn::Listening;
        st.peercred = Some(cred);
        drop(st);
        self.queue.notify(EV_ALL);
        Ok(())
    }

    /// One pending connection, or EAGAIN; EINVAL if not listening.
    pub(super) fn try_accept(&self) -> Result<Arc<Endpoint>, Errno> {
        let mut st = self.st.lock();
        if st.conn != Conn::Listening {
            return Err(Errno::EINVAL);
        }
        let e = st.pending.pop_front().ok_or(Errno::EAGAIN)?;
        drop(st);
        // Room for a connecting socket that waits on the backlog.
        self.queue.notify(EV_WRITABLE);
        Ok(e)
    }

    /// accept(2): wait (unless `nonblock`) for a connection.
    pub fn accept(&self, t: &mut Task, nonblock: bool) -> Result<Arc<Endpoint>, Errno> {
        if self.ty == SockType::Dgram {
            return Err(Errno::EOPNOTSUPP);
        }
        let dl = deadline(self.opts().rcvtimeo);
        let mut entry = None;
        loop {
            match self.try_accept() {
                Err(Errno::EAGAIN) if !nonblock => {}
                r => return r,
            }
            if entry.is_none() {
                entry = Some(self.queue.register(&t.shared, EV_ALL));
                continue;
            }
            wait(t, dl)?;
        }
    }

    /// connect(2) of a stream or seqpacket socket to listener `l`.
    pub fn connect_stream(
        self: &Arc<Endpoint>,
        t: &mut Task,
        l: &Arc<Endpoint>,
        nonblock: bool,
    ) -> Result<(), Errno> {
        {
            let st = self.st.lock();
            match st.conn {
                Conn::Connected => return Err(Errno::EISCONN),
                Conn::Listening => return Err(Errno::EINVAL),
                Conn::Closed => {}
            }
        }
        let dl = deadline(self.opts().sndtimeo);
        let mut entry = None;
        loop {
            match self.try_connect(t, l) {
                Err(Errno::EAGAIN) if !nonblock => {}
                r => return r,
            }
            if entry.is_none() {
                entry = Some(l.queue.register(&t.shared, EV_ALL));
                continue;
            }
            wait(t, dl)?;
        }
    }

    fn try_connect(self: &Arc<Endpoint>, t: &Task, l: &Arc<Endpoint>) -> Result<(), Errno> {
        let mut st = self.st.lock();
        if st.conn == Conn::Connected {
            return Err(Errno::EISCONN);
        }
        let server = Endpoint::new(self.ty);
        let listener_cred = {
            let mut lst = l.st.lock();
            if lst.dead || lst.conn != Conn::Listening {
                return Err(Errno::ECONNREFUSED);
            }
            if lst.pending.len() > lst.backlog {
                return Err(Errno::EAGAIN);
            }
            {
                let mut sst = server.st.lock();
                sst.conn = Conn::Connected;
                sst.peer = Some(self.clone());
                sst.addr = lst.addr.clone();
                sst.peercred = Some(Ucred::peer_of(t));
                sst.opts = lst.opts.clone();
            }
            lst.pending.push_back(server.clone());
            lst.peercred
        };
        st.conn = Conn::Connected;
        st.peer = Some(server);
        st.peercred = listener_cred;
        drop(st);
        l.queue.notify(EV_READABLE);
        self.queue.notify(EV_ALL);
        Ok(())
    }

    /// connect(2) of a datagram socket: `None` (AF_UNSPEC) disconnects.
    pub fn connect_dgram(self: &Arc<Endpoint>, to: Option<Arc<Endpoint>>) -> Result<(), Errno> {
        if let Some(to) = &to {
            let tst = to.st.lock();
            if let Some(pp) = &tst.peer {
                if !Arc::ptr_eq(pp, self) {
                    return Err(Errno::EPERM);
                }
            }
        }
        let old = {
            let mut st = self.st.lock();
            st.conn = if to.is_some() {
                Conn::Connected
            } else {
                Conn::Closed
            };
            std::mem::replace(&mut st.peer, to.clone())
        };
        if let Some(to) = to {
            to.st.lock().dgram_senders.push(Arc::downgrade(self));
        }
        drop(old);
        self.queue.notify(EV_ALL);
        Ok(())
    }

    /// The socket's last file closed: wake everyone, tell the peer, drop
    /// what is queued and what was waiting to be accepted.
    pub fn release(&self, ns: Option<&super::ns::UnixNamespace>) {
        let (peer, pending, unread, addr) = {
            let mut st = self.st.lock();
            st.dead = true;
            st.shut_rd = true;
            st.shut_wr = true;
            let unread = !st.rcvq.is_empty();
            let q: Vec<Message> = st.rcvq.drain(..).collect();
            let pending: Vec<Arc<Endpoint>> = st.pending.drain(..).collect();
            let peer = st.peer.take();
            let addr = st.addr.clone();
            drop(st);
            for m in q {
                if let Some(s) = m.sender.upgrade() {
                    s.uncharge(m.charge);
                }
            }
            (peer, pending, unread, addr)
        };
        if let (Some(ns), Some(UnixAddr::Abstract(name))) = (ns, &addr) {
            ns.unbind_abstract(self.ty, name, self);
        }
        self.queue.notify(EV_ALL);
        if let Some(p) = peer {
            if self.ty.connection() {
                {
                    let mut pst = p.st.lock();
                    pst.shut_rd = true;
                    pst.shut_wr = true;
                    if unread {
                        pst.err = Some(Errno::ECONNRESET);
                    }
                }
                p.queue.notify(EV_ALL);
            } else {
                // A sender blocked on our full queue must see us gone.
                p.queue.notify(EV_ALL);
            }
        }
        for e in pending {
            e.release_embryo();
        }
    }

    /// A connection never accepted: its client sees ECONNRESET.
    fn release_embryo(&self) {
        let peer = {
            let mut st = self.st.lock();
            st.dead = true;
            st.rcvq.clear();
            st.peer.take()
        };
        if let Some(p) = peer {
            {
                let mut pst = p.st.lock();
                pst.shut_rd = true;
                pst.shut_wr = true;
                pst.err = Some(Errno::ECONNRESET);
            }
            p.queue.notify(EV_ALL);
        }
    }
}

/// How a receive behaves (from MSG_* flags and the file's O_NONBLOCK).
#[derive(Clone, Copy, Debug, Default)]
pub struct RecvOpts {
    pub peek: bool,
    pub waitall: bool,
    /// MSG_TRUNC: return a datagram's full length.
    pub trunc: bool,
    pub nonblock: bool,
}

/// What a receive got.
#[derive(Default)]
pub struct Received {
    /// The return value (bytes copied, or a datagram's length with MSG_TRUNC).
    pub n: u64,
    pub from: Option<UnixAddr>,
    pub fds: Vec<Arc<File>>,
    /// The sender's credentials, when the receiver has SO_PASSCRED.
    pub cred: Option<Ucred>,
    /// MSG_TRUNC when a datagram did not fit.
    pub flags: u32,
}

impl Endpoint {
    /// Receive with the semantics of the socket's type.
    pub fn recv(
        &self,
        t: &mut Task,
        dst: &mut crate::mm::IoDst,
        o: &RecvOpts,
    ) -> Result<Received, Errno> {
        match self.ty {
            SockType::Stream => self.recv_stream(t, dst, o),
            _ => self.recv_dgram(t, dst, o),
        }
    }

    /// Send with the semantics of the socket's type; `to` is a sendto target.
    pub fn send(
        self: &Arc<Endpoint>,
        t: &mut Task,
        src: &mut crate::mm::IoSrc,
        scm: Scm,
        to: Option<Arc<Endpoint>>,
        nonblock: bool,
    ) -> Result<u64, Errno> {
        match self.ty {
            SockType::Stream => self.send_stream(t, src, scm, nonblock),
            _ => self.send_dgram(t, src, scm, to, nonblock),
        }
    }
}
