//! A pseudo-terminal pair: the line discipline between its master and its
//! slave files, the slave's job control and window size, and the counts of
//! open files that decide when the slave hangs up and the number is freed.
//!
//! Reads and writes never block here: they answer EAGAIN and the syscall
//! layer waits on the side's queue (`syscalls::blocking`). Non-canonical
//! reads with VTIME set a timer that wakes the queue when the time is up;
//! the start of such a read is remembered per thread (a read that was
//! interrupted leaves a record that a later read ignores once it is stale).

use super::slave::SlaveInode;
use super::{DevPts, FsRef};
use crate::kernel::current;
use crate::kernel::ldisc::termios::{Termios2, TOSTOP, VMIN, VTIME};
use crate::kernel::ldisc::{Effects, LineDiscipline};
use crate::kernel::timers::{self, TimerId};
use crate::kernel::tty::{Tty, TtyDevice};
use crate::kernel::waiter::WaitQueue;
use crate::kernel::Kernel;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::FileOps;
use crate::vfs::mount::Mount;
use abi::{Errno, Winsize};
use parking_lot::{Mutex, MutexGuard};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

const POLLIN: u32 = libc::POLLIN as u32;
const POLLOUT: u32 = libc::POLLOUT as u32;
const POLLERR: u32 = libc::POLLERR as u32;
const POLLHUP: u32 = libc::POLLHUP as u32;
const POLLRDNORM: u32 = libc::POLLRDNORM as u32;
const POLLWRNORM: u32 = libc::POLLWRNORM as u32;
const EV_IN: u64 = (POLLIN | POLLRDNORM) as u64;
const EV_OUT: u64 = (POLLOUT | POLLWRNORM) as u64;

/// A timed read whose timer fired this long ago without the reader coming
/// back was abandoned (interrupted): the next read starts afresh.
const STALE: Duration = Duration::from_millis(100);

/// A blocking non-canonical read with VTIME, in progress on a thread.
struct TimedRead {
    start: Instant,
    timer: Option<(Instant, TimerId)>,
    fired: Option<Instant>,
}

pub(super) struct PtyState {
    pub ld: LineDiscipline,
    /// TIOCSPTLCK: the slave cannot be opened (new pairs start locked).
    pub locked: bool,
    pub masters: u32,
    pub slaves: u32,
    /// Every slave file has closed since one was open (the master then
    /// reads EIO once drained and polls POLLHUP).
    pub other_closed: bool,
    /// The master closed: slave files read end of file, and fail otherwise.
    pub hung_up: bool,
    pub winsize: Winsize,
    /// TIOCEXCL on the slave: only CAP_SYS_ADMIN may open it again.
    pub exclusive: bool,
    /// TIOCPKT on the master: each read starts with a status byte.
    pub packet: bool,
    /// TCOOFF on the master: its writes wait.
    pub master_stopped: bool,
    /// When input last arrived (VTIME's inter-byte timer).
    last_input: Instant,
    reads: HashMap<i32, TimedRead>,
}

pub struct Pty {
    pub index: u32,
    fs: FsRef,
    pub(super) tty: Arc<Tty>,
    st: Mutex<PtyState>,
    pub(super) master_q: WaitQueue,
    pub(super) slave_q: WaitQueue,
    /// The devpts mount the master was opened through: TIOCGPTPEER opens
    /// the slave's node in it.
    pub(super) mount: Option<Arc<Mount>>,
    me: Weak<Pty>,
}

impl std::fmt::Debug for Pty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pty({})", self.index)
    }
}

impl Pty {
    /// A new pair in `fs`, for sandbox `k`, its slave node owned by
    /// `owner` unless the mount options say otherwise. Open for its master.
    pub(super) fn create(
        fs: &Arc<DevPts>,
        k: &Arc<Kernel>,
        mount: Option<Arc<Mount>>,
        owner: (u32, u32),
    ) -> Result<Arc<Pty>, Errno> {
        let index = fs.alloc_index()?;
        let tty = Tty::new_pseudo(k);
        let pty = Arc::new_cyclic(|me| Pty {
            index,
            fs: Arc::downgrade(fs),
            tty: tty.clone(),
            st: Mutex::new(PtyState {
                ld: LineDiscipline::default(),
                locked: true,
                masters: 1,
                slaves: 0,
                other_closed: false,
                hung_up: false,
                winsize: Winsize::default(),
                exclusive: false,
                packet: false,
                master_stopped: false,
                last_input: Instant::now(),
                reads: HashMap::new(),
            }),
            master_q: WaitQueue::new(),
            slave_q: WaitQueue::new(),
            mount,
            me: me.clone(),
        });
        let dev: Weak<dyn TtyDevice> = Arc::downgrade(&pty) as Weak<Pty>;
        tty.set_device_weak(dev);
        let o = fs.opts;
        let node = SlaveInode::new(
            fs,
            &pty,
            o.uid.unwrap_or(owner.0),
            o.gid.unwrap_or(owner.1),
            o.mode,
        );
        fs.add_node(index, node);
        Ok(pty)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, PtyState> {
        self.st.lock()
    }

    pub(super) fn fs(&self) -> Option<Arc<DevPts>> {
        self.fs.upgrade()
    }

    /// The slave's node, while the master is open.
    pub(super) fn node(&self) -> Option<Arc<SlaveInode>> {
        self.fs()?.node(self.index)
    }

    /// Act on what the line discipline reported, with no lock held.
    pub(super) fn apply(&self, fx: Effects) {
        for sig in fx.signals {
            self.tty.signal_foreground(sig);
        }
        if fx.input {
            self.slave_q.notify(EV_IN);
        }
        if fx.output_room {
            self.slave_q.notify(EV_OUT);
        }
        if fx.output {
            self.master_q.notify(EV_IN);
        }
        if fx.input_room {
            self.master_q.notify(EV_OUT);
        }
    }

    /// Open the slave (an open of its node, /dev/tty, TIOCGPTPEER).
    pub(super) fn open_slave(&self, admin: bool) -> Result<(), Errno> {
        let mut st = self.st.lock();
        if st.hung_up || st.locked {
            return Err(Errno::EIO);
        }
        if st.exclusive && !admin {
            return Err(Errno::EBUSY);
        }
        st.slaves += 1;
        st.other_closed = false;
        Ok(())
    }

    pub(super) fn slave_closed(&self) {
        let free = {
            let mut st = self.st.lock();
            st.slaves -= 1;
            if st.slaves > 0 {
                return;
            }
            st.other_closed = true;
            st.masters == 0
        };
        self.master_q.notify(u64::from(POLLHUP | POLLIN));
        if free {
            self.release();
        }
    }

    /// The master closed: the slave's node goes, the slave hangs up.
    pub(super) fn master_closed(&self) {
        let free = {
            let mut st = self.st.lock();
            st.masters -= 1;
            st.hung_up = true;
            for r in st.reads.drain().map(|(_, r)| r) {
                if let Some((_, id)) = r.timer {
                    timers::cancel(id);
                }
            }
            st.slaves == 0
        };
        if let Some(fs) = self.fs() {
            fs.remove_node(self.index);
        }
        self.tty.hangup();
        self.slave_q.notify(u64::MAX);
        if free {
            self.release();
        }
    }

    /// Both sides are closed: the number can be used again.
    fn release(&self) {
        if let Some(fs) = self.fs() {
            fs.free_index(self.index);
        }
    }

    pub(super) fn termios(&self) -> Termios2 {
        self.st.lock().ld.termios()
    }

    // Slave side.

    pub(super) fn slave_read(&self, nonblocking: bool, dst: &mut IoDst) -> Result<u64, Errno> {
        let cur = current::get();
        if self.st.lock().hung_up {
            return Ok(0);
        }
        if let Some(cur) = &cur {
            self.tty.check_read(cur)?;
        }
        let tid = cur.as_ref().map_or(0, |c| c.tid);
        let want = usize::try_from(dst.remaining()).unwrap_or(usize::MAX);
        let mut st = self.st.lock();
        if st.hung_up {
            return Ok(0);
        }
        let mut put = |b: &[u8]| dst.put(b);
        let (n, fx) = if st.ld.canonical() {
            if !st.ld.input_ready(false) {
                return Err(Errno::EAGAIN);
            }
            st.ld.read_canon(want, &mut put)?
        } else {
            let t = st.ld.termios();
            let (vmin, vtime) = (usize::from(t.cc(VMIN)), t.cc(VTIME));
            let avail = st.ld.input_cells();
            let ready = if vmin == 0 && vtime == 0 {
                true
            } else if nonblocking {
                // O_NONBLOCK takes what there is (n_tty_read's loop).
                if avail == 0 {
                    return Err(Errno::EAGAIN);
                }
                true
            } else if vtime == 0 {
                avail >= vmin.min(want)
            } else {
                self.timed_ready(&mut st, tid, vmin, vtime, avail, want)
            };
            if !ready {
                return Err(Errno::EAGAIN);
            }
            st.ld.read_raw(want, &mut put)?
        };
        drop(st);
        self.apply(fx);
        Ok(n as u64)
    }

    /// A blocking non-canonical read with VTIME: whether to return now.
    /// VMIN 0: at the first byte, or VTIME after the read began (with
    /// nothing). VMIN > 0: at VMIN bytes, or VTIME after the last byte
    /// came (and after the read began) with fewer; with none, it waits.
    fn timed_ready(
        &self,
        st: &mut PtyState,
        tid: i32,
        vmin: usize,
        vtime: u8,
        avail: usize,
        want: usize,
    ) -> bool {
        let now = Instant::now();
        let need = if vmin == 0 { 1 } else { vmin.min(want) };
        if avail >= need {
            self.end_timed_read(st, tid);
            return true;
        }
        let rec = st.reads.entry(tid).or_insert(TimedRead {
            start: now,
            timer: None,
            fired: None,
        });
        if rec.fired.is_some_and(|f| now.duration_since(f) > STALE) {
            if let Some((_, id)) = rec.timer.take() {
                timers::cancel(id);
            }
            *rec = TimedRead {
                start: now,
                timer: None,
                fired: None,
            };
        }
        let base = if vmin == 0 {
            rec.start
        } else if avail > 0 {
            rec.start.max(st.last_input)
        } else {
            // Nothing yet: the inter-byte timer starts with the first byte.
            return false;
        };
        let deadline = base + Duration::from_millis(u64::from(vtime) * 100);
        if now >= deadline {
            self.end_timed_read(st, tid);
            return true;
        }
        let rec = st.reads.get_mut(&tid).expect("inserted above");
        if rec.timer.is_none_or(|(d, _)| d != deadline) {
            if let Some((_, id)) = rec.timer.take() {
                timers::cancel(id);
            }
            let me = self.me.clone();
            let id = timers::schedule(deadline, move || {
                if let Some(p) = me.upgrade() {
                    if let Some(r) = p.st.lock().reads.get_mut(&tid) {
                        r.fired = Some(Instant::now());
                    }
                    p.slave_q.notify(EV_IN);
                }
            });
            rec.timer = Some((deadline, id));
        }
        false
    }

    fn end_timed_read(&self, st: &mut PtyState, tid: i32) {
        if let Some(r) = st.reads.remove(&tid) {
            if let Some((_, id)) = r.timer {
                timers::cancel(id);
            }
        }
    }

    pub(super) fn slave_write(&self, src: &mut IoSrc) -> Result<u64, Errno> {
        if self.st.lock().hung_up {
            return Err(Errno::EIO);
        }
        if let Some(cur) = current::get() {
            if self.termios().lflag(TOSTOP) && self.tty.is_background(&cur) {
                self.tty.check_change(&cur)?;
            }
        }
        let mut total = 0u64;
        let mut fx = Effects::default();
        let r = {
            let mut st = self.st.lock();
            loop {
                if st.hung_up {
                    break Err(Errno::EIO);
                }
                let room = st.ld.write_room();
                let left = usize::try_from(src.remaining()).unwrap_or(usize::MAX);
                if left == 0 {
                    break Ok(total);
                }
                if room == 0 {
                    break Err(Errno::EAGAIN);
                }
                let mut buf = vec![0u8; room.min(left).min(64 * 1024)];
                let got = src.take(&mut buf)?;
                fx.merge(st.ld.write(&buf[..got]));
                total += got as u64;
                if got < buf.len() {
                    break Ok(total);
                }
            }
        };
        self.apply(fx);
        // What was taken before an error counts (see FileOps::write).
        match r {
            Err(Errno::EIO) if total > 0 => Ok(total),
            r => r,
        }
    }

    pub(super) fn slave_poll(&self) -> u32 {
        let st = self.st.lock();
        if st.hung_up {
            return POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
        }
        let mut m = 0;
        if st.ld.input_ready(true) {
            m |= POLLIN | POLLRDNORM;
        }
        if st.ld.write_room() > 0 {
            m |= POLLOUT | POLLWRNORM;
        }
        m
    }

    // Master side.

    pub(super) fn master_read(&self, dst: &mut IoDst) -> Result<u64, Errno> {
        let want = usize::try_from(dst.remaining()).unwrap_or(usize::MAX);
        let mut st = self.st.lock();
        if st.ld.output_len() == 0 {
            return Err(if st.other_closed {
                Errno::EIO
            } else {
                Errno::EAGAIN
            });
        }
        let packet = st.packet;
        if packet {
            // TIOCPKT_DATA: what follows is data.
            if dst.put(&[0])? == 0 {
                return Ok(0);
            }
        }
        let (n, fx) = st
            .ld
            .read_output(want.saturating_sub(usize::from(packet)), &mut |b| {
                dst.put(b)
            })?;
        drop(st);
        self.apply(fx);
        Ok(n as u64 + u64::from(packet))
    }

    pub(super) fn master_write(&self, src: &mut IoSrc) -> Result<u64, Errno> {
        let mut total = 0u64;
        let mut fx = Effects::default();
        let r = {
            let mut st = self.st.lock();
            loop {
                let left = usize::try_from(src.remaining()).unwrap_or(usize::MAX);
                if left == 0 {
                    break Ok(total);
                }
                let room = if st.master_stopped {
                    0
                } else {
                    st.ld.receive_room()
                };
                if room == 0 {
                    break Err(Errno::EAGAIN);
                }
                let mut buf = vec![0u8; room.min(left)];
                let got = src.take(&mut buf)?;
                let (n, f) = st.ld.receive(&buf[..got]);
                debug_assert_eq!(n, got);
                fx.merge(f);
                st.last_input = Instant::now();
                total += got as u64;
                if got < buf.len() {
                    break Ok(total);
                }
            }
        };
        self.apply(fx);
        r
    }

    pub(super) fn master_poll(&self) -> u32 {
        let st = self.st.lock();
        let mut m = 0;
        if st.ld.output_len() > 0 {
            m |= POLLIN | POLLRDNORM;
        }
        if st.other_closed {
            m |= POLLHUP;
        }
        if !st.master_stopped && st.ld.receive_room() > 0 {
            m |= POLLOUT | POLLWRNORM;
        }
        m
    }
}

impl TtyDevice for Pty {
    /// /dev/tty on a process whose controlling terminal is this slave.
    fn open_again(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let me = self.me.upgrade().ok_or(Errno::EIO)?;
        me.open_slave(true)?;
        Ok(Box::new(super::slave::SlaveFile::new(me, false)))
    }
}
