//! Host file descriptors donated to the sandbox at start (the caller's
//! stdin, stdout and stderr): reads and writes go straight to the host fd,
//! terminal ioctls to the host terminal.
//!
//! A host terminal keeps its job control in the sandbox ([`Tty`], shared
//! with the sandbox's pseudo-terminals): the session it belongs to and its
//! foreground group are the sandbox's, never set on the host; reads and
//! writes make the background checks a Linux terminal makes, and /dev/tty
//! opens it again (a new description over a dup of its fd).
//!
//! Host fds that can wait (terminals, pipes, sockets) are watched by one
//! [`Notifier`] thread in an edge-triggered host epoll, which wakes the
//! file's wait queue: a read with nothing to read answers EAGAIN and the
//! task waits on the queue like any sandbox file (interruptibly, and
//! visible to poll, select and epoll). Writes still block in the host.
//!
//! May use: `vfs` interfaces, `mm` I/O, `kernel::tty`, `kernel::current`,
//! `kernel::waiter`, rustix for the host calls.

use crate::fs::devnum;
use crate::kernel::current;
use crate::kernel::tty::{self, Tty, TtyDevice};
use crate::kernel::waiter::WaitQueue;
use crate::kernel::Kernel;
use crate::mm::{IoDst, IoSrc, Mm};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, S_IFMT, S_IFREG};
use abi::{Errno, Timespec};
use parking_lot::Mutex;
use rustix::event::epoll;
use rustix::event::{PollFd, PollFlags};
use rustix::termios::{
    ControlModes, InputModes, LocalModes, OptionalActions, OutputModes, QueueSelector,
    SpecialCodeIndex, Termios,
};
use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, OnceLock, Weak};

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TCFLSH: u32 = 0x540b;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541b;

/// Readiness of host fds for the tasks that wait on them: one host thread
/// (started with the first registration, shared by every sandbox of the
/// process) waits in an edge-triggered epoll and notifies each fd's queue
/// with the poll bits that became true.
struct Notifier {
    epoll: OwnedFd,
    queues: Mutex<HashMap<u64, Weak<WaitQueue>>>,
    next: std::sync::atomic::AtomicU64,
}

impl Notifier {
    /// The process's notifier; None if the host refuses an epoll instance
    /// or a thread (host fds then block in the host as plain fds).
    fn get() -> Option<&'static Notifier> {
        static N: OnceLock<Option<Notifier>> = OnceLock::new();
        N.get_or_init(|| {
            let epoll = epoll::create(epoll::CreateFlags::CLOEXEC).ok()?;
            Some(Notifier {
                epoll,
                queues: Mutex::new(HashMap::new()),
                next: Default::default(),
            })
        })
        .as_ref()
        .filter(|n| n.start())
    }

    /// Start the waiting thread once; false if it cannot run.
    fn start(&'static self) -> bool {
        static STARTED: OnceLock<bool> = OnceLock::new();
        *STARTED.get_or_init(|| {
            std::thread::Builder::new()
                .name("host-fd-notifier".into())
                .spawn(move || self.run())
                .is_ok()
        })
    }

    /// Watch `fd` for `q`; None if the host cannot poll it (regular files,
    /// /dev/null). Unregister before the fd is closed.
    fn register(&self, fd: BorrowedFd<'_>, q: &Arc<WaitQueue>) -> Option<u64> {
        let token = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.queues.lock().insert(token, Arc::downgrade(q));
        let flags = epoll::EventFlags::IN
            | epoll::EventFlags::OUT
            | epoll::EventFlags::RDHUP
            | epoll::EventFlags::ET;
        match epoll::add(&self.epoll, fd, epoll::EventData::new_u64(token), flags) {
            Ok(()) => Some(token),
            Err(_) => {
                self.queues.lock().remove(&token);
                None
            }
        }
    }

    fn unregister(&self, fd: BorrowedFd<'_>, token: u64) {
        let _ = epoll::delete(&self.epoll, fd);
        self.queues.lock().remove(&token);
    }

    fn run(&self) {
        let mut events = Vec::with_capacity(64);
        loop {
            events.clear();
            if epoll::wait(
                &self.epoll,
                rustix::buffer::spare_capacity(&mut events),
                None,
            )
            .is_err()
            {
                continue;
            }
            for &ev in events.iter() {
                // Copies: the event struct is packed.
                let (data, flags) = (ev.data, ev.flags);
                let q = self.queues.lock().get(&data.u64()).and_then(Weak::upgrade);
                if let Some(q) = q {
                    q.notify(poll_bits(flags.bits()));
                }
            }
        }
    }
}

/// Host poll/epoll bits as the sandbox's poll bits (the same values, plus
/// the RDNORM/WRNORM twins Linux reports with IN/OUT).
fn poll_bits(host: u32) -> u64 {
    let mut bits = u64::from(host)
        & (libc::POLLIN | libc::POLLOUT | libc::POLLERR | libc::POLLHUP | libc::POLLRDHUP) as u64;
    if host & libc::POLLIN as u32 != 0 {
        bits |= libc::POLLRDNORM as u64;
    }
    if host & libc::POLLOUT as u32 != 0 {
        bits |= libc::POLLWRNORM as u64;
    }
    bits
}

fn host_errno(e: rustix::io::Errno) -> Errno {
    Errno(e.raw_os_error())
}

/// The device number host files report (their own device would describe
/// the host).
fn host_dev() -> u64 {
    static DEV: OnceLock<u64> = OnceLock::new();
    *DEV.get_or_init(devnum::alloc_anon_dev)
}

/// `c_cc` slots of the kernel's `struct termios`, in index order (Linux
/// leaves slots 17 and 18 unused).
const CC: [SpecialCodeIndex; 17] = [
    SpecialCodeIndex::VINTR,
    SpecialCodeIndex::VQUIT,
    SpecialCodeIndex::VERASE,
    SpecialCodeIndex::VKILL,
    SpecialCodeIndex::VEOF,
    SpecialCodeIndex::VTIME,
    SpecialCodeIndex::VMIN,
    SpecialCodeIndex::VSWTC,
    SpecialCodeIndex::VSTART,
    SpecialCodeIndex::VSTOP,
    SpecialCodeIndex::VSUSP,
    SpecialCodeIndex::VEOL,
    SpecialCodeIndex::VREPRINT,
    SpecialCodeIndex::VDISCARD,
    SpecialCodeIndex::VWERASE,
    SpecialCodeIndex::VLNEXT,
    SpecialCodeIndex::VEOL2,
];

fn to_kernel(t: &Termios) -> abi::Termios {
    let mut k = abi::Termios {
        c_iflag: t.input_modes.bits(),
        c_oflag: t.output_modes.bits(),
        c_cflag: t.control_modes.bits(),
        c_lflag: t.local_modes.bits(),
        c_line: t.line_discipline,
        c_cc: [0; 19],
    };
    for (i, &idx) in CC.iter().enumerate() {
        k.c_cc[i] = t.special_codes[idx];
    }
    k
}

/// Apply a kernel termios (TCSETS) over the host's current settings. The
/// baud rate travels in `c_cflag`'s CBAUD bits, as with TCSETS itself.
fn apply_kernel(t: &mut Termios, k: &abi::Termios) {
    t.input_modes = InputModes::from_bits_retain(k.c_iflag);
    t.output_modes = OutputModes::from_bits_retain(k.c_oflag);
    t.control_modes = ControlModes::from_bits_retain(k.c_cflag);
    t.local_modes = LocalModes::from_bits_retain(k.c_lflag);
    t.line_discipline = k.c_line;
    for (i, &idx) in CC.iter().enumerate() {
        t.special_codes[idx] = k.c_cc[i];
    }
}

/// An open description over a donated host fd.
#[derive(Debug)]
pub struct HostFile {
    fd: OwnedFd,
    /// A regular file: positional I/O at the description's offset.
    regular: bool,
    /// The host offset at donation, where the application should start.
    initial_offset: i64,
    /// A terminal's job control (None for other files, and for terminals
    /// not donated through [`donate_stdio`]).
    tty: Option<Arc<Tty>>,
    /// Woken by the [`Notifier`] when the host fd's readiness changes.
    queue: Arc<WaitQueue>,
    /// The notifier's token, if it watches the fd.
    watched: Option<u64>,
}

impl Drop for HostFile {
    fn drop(&mut self) {
        // The host description outlives this fd (the caller holds it too):
        // its epoll registration would outlive it as well.
        if let (Some(token), Some(n)) = (self.watched, Notifier::get()) {
            n.unregister(self.fd.as_fd(), token);
        }
    }
}

/// The files for the stdio fds of a process the sandbox starts (`fds[i]`
/// becomes its fd `i`): init's (the caller's stdin, stdout and stderr for
/// `runsc do`) or one started by `runsc exec`. Fds on the same host
/// terminal share its job control; a terminal on stdin becomes the
/// process's controlling terminal (see `kernel::tty`).
pub fn donate_stdio(k: &Arc<Kernel>, fds: Vec<OwnedFd>) -> Vec<Arc<File>> {
    let mut ttys: Vec<(u64, Arc<Tty>)> = Vec::new();
    let mut files = Vec::new();
    for (i, fd) in fds.into_iter().enumerate() {
        let flags = rustix::fs::fcntl_getfl(fd.as_fd())
            .map(|f| f.bits())
            .unwrap_or(libc::O_RDWR as u32);
        let mut h = HostFile::new(fd);
        if h.is_tty() {
            let dev = rustix::fs::fstat(&h.fd).map(|st| st.st_rdev).unwrap_or(0);
            let tty = match ttys.iter().find(|(d, _)| *d == dev) {
                Some((_, t)) => t.clone(),
                None => {
                    let t = if i == 0 {
                        Tty::new_controlling(k)
                    } else {
                        Tty::new(k)
                    };
                    if let Ok(again) = rustix::io::fcntl_dupfd_cloexec(&h.fd, 3) {
                        t.set_device(Arc::new(HostTty {
                            fd: again,
                            tty: Arc::downgrade(&t),
                        }));
                    }
                    ttys.push((dev, t.clone()));
                    t
                }
            };
            h.tty = Some(tty);
        }
        files.push(File::new(Box::new(h), None, None, flags));
    }
    files
}

/// A donated host terminal as /dev/tty opens it: a new description
/// sharing the host's (as a reopen of the same terminal would).
struct HostTty {
    fd: OwnedFd,
    tty: Weak<Tty>,
}

impl TtyDevice for HostTty {
    fn open_again(&self, _flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        let fd = rustix::io::fcntl_dupfd_cloexec(&self.fd, 3).map_err(host_errno)?;
        let mut h = HostFile::new(fd);
        h.tty = self.tty.upgrade();
        Ok(Box::new(h))
    }
}

impl HostFile {
    /// Wrap `fd`, which the sandbox now owns (callers dup their own fds
    /// first). The host description, offset included, stays shared with
    /// whoever else holds it.
    pub fn new(fd: OwnedFd) -> HostFile {
        let regular = rustix::fs::fstat(&fd)
            .map(|st| st.st_mode & S_IFMT == S_IFREG)
            .unwrap_or(false);
        let initial_offset = if regular {
            rustix::fs::seek(&fd, rustix::fs::SeekFrom::Current(0))
                .map(|o| o as i64)
                .unwrap_or(0)
        } else {
            0
        };
        let queue = Arc::new(WaitQueue::new());
        let watched = if regular {
            None
        } else {
            Notifier::get().and_then(|n| n.register(fd.as_fd(), &queue))
        };
        HostFile {
            fd,
            regular,
            initial_offset,
            tty: None,
            queue,
            watched,
        }
    }

    /// Where a regular file's position should start (the host offset when
    /// donated, so `(echo a; rvisor run ...) > out` appends after "a").
    pub fn initial_offset(&self) -> i64 {
        self.initial_offset
    }

    pub fn is_tty(&self) -> bool {
        rustix::termios::isatty(&self.fd)
    }

    /// The host offset to use: `off < 0` means the shared host position.
    fn off(&self, off: i64) -> Option<i64> {
        (self.regular && off >= 0).then_some(off)
    }

    /// The host fd's readiness now, as poll bits.
    fn host_poll(&self) -> u32 {
        let mut pfd = [PollFd::new(&self.fd, PollFlags::IN | PollFlags::OUT)];
        let zero = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        match rustix::event::poll(&mut pfd, Some(&zero)) {
            Ok(n) if n > 0 => poll_bits(u32::from(pfd[0].revents().bits())) as u32,
            _ => 0,
        }
    }

    /// Whether the terminal's TOSTOP is set (background writes stop).
    fn tostop(&self) -> bool {
        rustix::termios::tcgetattr(&self.fd)
            .is_ok_and(|t| t.local_modes.contains(LocalModes::TOSTOP))
    }

    /// A change of the terminal's settings: background callers get SIGTTOU.
    fn check_change(&self) -> Result<(), Errno> {
        match (self.tty.as_ref(), current::get()) {
            (Some(tty), Some(cur)) => tty.check_change(&cur),
            _ => Ok(()),
        }
    }
}

impl FileOps for HostFile {
    fn read(&self, _f: &File, dst: &mut IoDst, off: i64) -> Result<u64, Errno> {
        if dst.remaining() == 0 {
            return Ok(0);
        }
        if let (Some(tty), Some(cur)) = (self.tty.as_ref(), current::get()) {
            tty.check_read(&cur)?;
        }
        // Nothing to read: the syscall layer waits on the queue (or
        // answers EAGAIN for O_NONBLOCK) instead of blocking in the host.
        let ready = (libc::POLLIN | libc::POLLHUP | libc::POLLERR) as u32;
        if self.watched.is_some() && self.host_poll() & ready == 0 {
            return Err(Errno::EAGAIN);
        }
        dst.read_from_fd(self.fd.as_fd(), self.off(off))
    }

    fn write(&self, _f: &File, src: &mut IoSrc, off: i64) -> Result<u64, Errno> {
        if src.remaining() == 0 {
            return Ok(0);
        }
        if let (Some(tty), Some(cur)) = (self.tty.as_ref(), current::get()) {
            if tty.is_background(&cur) && self.tostop() {
                tty.check_change(&cur)?;
            }
        }
        src.write_to_fd(self.fd.as_fd(), self.off(off))
    }

    fn seekable(&self) -> bool {
        self.regular
    }

    fn own_position(&self) -> bool {
        true
    }

    fn seek(&self, _f: &File, off: i64, whence: i32) -> Result<i64, Errno> {
        use rustix::fs::SeekFrom;
        let from = match whence {
            libc::SEEK_SET => SeekFrom::Start(u64::try_from(off).map_err(|_| Errno::EINVAL)?),
            libc::SEEK_CUR => SeekFrom::Current(off),
            libc::SEEK_END => SeekFrom::End(off),
            libc::SEEK_DATA => SeekFrom::Data(u64::try_from(off).map_err(|_| Errno::ENXIO)?),
            libc::SEEK_HOLE => SeekFrom::Hole(u64::try_from(off).map_err(|_| Errno::ENXIO)?),
            _ => return Err(Errno::EINVAL),
        };
        rustix::fs::seek(&self.fd, from)
            .map(|o| o as i64)
            .map_err(host_errno)
    }

    fn ioctl(&self, f: &File, mm: &Mm, cmd: u32, arg: u64) -> Result<u64, Errno> {
        let fd = self.fd.as_fd();
        if let (Some(tty), Some(cur)) = (self.tty.as_ref(), current::get()) {
            if let Some(r) = tty.job_ioctl(&cur, f.readable(), false, mm, cmd, arg) {
                return r;
            }
        }
        match cmd {
            tty::TIOCSCTTY | tty::TIOCNOTTY | tty::TIOCGPGRP | tty::TIOCSPGRP | tty::TIOCGSID => {
                return Err(Errno::ENOTTY);
            }
            TCGETS => {
                let t = rustix::termios::tcgetattr(fd).map_err(host_errno)?;
                mm.write_obj(arg, &to_kernel(&t))?;
            }
            TCSETS | TCSETSW | TCSETSF => {
                let mut t = rustix::termios::tcgetattr(fd).map_err(host_errno)?;
                self.check_change()?;
                let k: abi::Termios = mm.read_obj(arg)?;
                apply_kernel(&mut t, &k);
                let when = match cmd {
                    TCSETS => OptionalActions::Now,
                    TCSETSW => OptionalActions::Drain,
                    _ => OptionalActions::Flush,
                };
                rustix::termios::tcsetattr(fd, when, &t).map_err(host_errno)?;
            }
            TIOCGWINSZ => {
                let w = rustix::termios::tcgetwinsize(fd).map_err(host_errno)?;
                let k = abi::Winsize {
                    ws_row: w.ws_row,
                    ws_col: w.ws_col,
                    ws_xpixel: w.ws_xpixel,
                    ws_ypixel: w.ws_ypixel,
                };
                mm.write_obj(arg, &k)?;
            }
            TIOCSWINSZ => {
                if !rustix::termios::isatty(fd) {
                    return Err(Errno::ENOTTY);
                }
                let k: abi::Winsize = mm.read_obj(arg)?;
                let w = rustix::termios::Winsize {
                    ws_row: k.ws_row,
                    ws_col: k.ws_col,
                    ws_xpixel: k.ws_xpixel,
                    ws_ypixel: k.ws_ypixel,
                };
                rustix::termios::tcsetwinsize(fd, w).map_err(host_errno)?;
            }
            TCFLSH => {
                if !rustix::termios::isatty(fd) {
                    return Err(Errno::ENOTTY);
                }
                let queue = match arg {
                    0 => QueueSelector::IFlush,
                    1 => QueueSelector::OFlush,
                    2 => QueueSelector::IOFlush,
                    _ => return Err(Errno::EINVAL),
                };
                self.check_change()?;
                rustix::termios::tcflush(fd, queue).map_err(host_errno)?;
            }
            FIONREAD => {
                let n = rustix::io::ioctl_fionread(fd).map_err(host_errno)?;
                mm.write_obj(arg, &(n.min(i32::MAX as u64) as i32))?;
            }
            _ => return Err(Errno::ENOTTY),
        }
        Ok(0)
    }

    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        rustix::fs::fsync(&self.fd).map_err(host_errno)
    }

    fn poll(&self, _f: &File) -> u32 {
        match self.watched {
            Some(_) => self.host_poll(),
            None => (libc::POLLIN | libc::POLLOUT | libc::POLLRDNORM | libc::POLLWRNORM) as u32,
        }
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        self.watched.map(|_| &*self.queue)
    }

    fn readable_bytes(&self, _f: &File) -> Option<u64> {
        rustix::io::ioctl_fionread(&self.fd).ok()
    }

    fn attr(&self) -> Result<Attr, Errno> {
        let st = rustix::fs::fstat(&self.fd).map_err(host_errno)?;
        let ts = |s: i64, ns: i64| Timespec {
            tv_sec: s,
            tv_nsec: ns,
        };
        Ok(Attr {
            dev: host_dev(),
            ino: st.st_ino as u64,
            mode: st.st_mode,
            nlink: st.st_nlink as u64,
            uid: st.st_uid,
            gid: st.st_gid,
            rdev: st.st_rdev as u64,
            size: st.st_size as u64,
            blksize: st.st_blksize as u64,
            blocks: st.st_blocks as u64,
            atime: ts(st.st_atime as i64, st.st_atime_nsec as i64),
            mtime: ts(st.st_mtime as i64, st.st_mtime_nsec as i64),
            ctime: ts(st.st_ctime as i64, st.st_ctime_nsec as i64),
            btime: Timespec::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::inode::{FileType, S_IFIFO};

    fn file(h: HostFile) -> std::sync::Arc<File> {
        File::new(Box::new(h), None, None, libc::O_RDWR as u32)
    }

    #[test]
    fn pipe_read_write() {
        let (r, w) = rustix::pipe::pipe().unwrap();
        let (r, w) = (file(HostFile::new(r)), file(HostFile::new(w)));
        assert!(!r.ops.seekable());
        assert_eq!(w.ops.write(&w, &mut IoSrc::buf(b"hello"), 999), Ok(5));
        let mut buf = [0u8; 16];
        let mut dst = IoDst::buf(&mut buf);
        assert_eq!(r.ops.read(&r, &mut dst, 0), Ok(5));
        assert_eq!(&buf[..5], b"hello");
        let a = r.attr().unwrap();
        assert_eq!(a.mode & S_IFMT, S_IFIFO);
        assert_eq!(a.file_type(), FileType::Fifo);
        assert_eq!(r.ops.readable_bytes(&r), Some(0));
        // fsync of a pipe fails on Linux too.
        assert_eq!(w.ops.fsync(&w), Err(Errno::EINVAL));
    }

    #[test]
    fn empty_pipe_waits_on_the_queue() {
        use crate::kernel::waiter::{Waiter, EV_ALL};
        use std::sync::atomic::{AtomicBool, Ordering};
        struct Heard(AtomicBool);
        impl Waiter for Heard {
            fn notify_event(&self, events: u64) {
                if events & libc::POLLIN as u64 != 0 {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
        }
        let (r, w) = rustix::pipe::pipe().unwrap();
        let r = file(HostFile::new(r));
        assert_eq!(r.ops.poll(&r) & libc::POLLIN as u32, 0);
        let mut buf = [0u8; 4];
        assert_eq!(
            r.ops.read(&r, &mut IoDst::buf(&mut buf), 0),
            Err(Errno::EAGAIN)
        );
        let heard = Arc::new(Heard(AtomicBool::new(false)));
        let weak: Weak<dyn Waiter> = Arc::downgrade(&heard) as Weak<Heard>;
        let id = r.ops.wait_queue().unwrap().add(weak, EV_ALL);
        rustix::io::write(&w, b"x").unwrap();
        let start = std::time::Instant::now();
        while !heard.0.load(Ordering::SeqCst) && start.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(
            heard.0.load(Ordering::SeqCst),
            "the notifier did not wake the queue"
        );
        assert_ne!(r.ops.poll(&r) & libc::POLLIN as u32, 0);
        assert_eq!(r.ops.read(&r, &mut IoDst::buf(&mut buf), 0), Ok(1));
        r.ops.wait_queue().unwrap().remove(id);
    }

    #[test]
    fn regular_file_is_positional() {
        let dir = std::env::temp_dir().join(format!("rvisor-host-test-{}", std::process::id()));
        std::fs::write(&dir, b"0123456789").unwrap();
        let fd: OwnedFd = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&dir)
            .unwrap()
            .into();
        std::fs::remove_file(&dir).unwrap();
        rustix::fs::seek(&fd, rustix::fs::SeekFrom::Start(4)).unwrap();
        let h = HostFile::new(fd);
        assert_eq!(h.initial_offset(), 4);
        assert!(!h.is_tty());
        let f = file(h);
        assert!(f.ops.seekable());
        let mut buf = [0u8; 3];
        assert_eq!(f.ops.read(&f, &mut IoDst::buf(&mut buf), 6), Ok(3));
        assert_eq!(&buf, b"678");
        assert_eq!(f.ops.write(&f, &mut IoSrc::buf(b"ab"), 1), Ok(2));
        assert_eq!(f.ops.read(&f, &mut IoDst::buf(&mut buf), 0), Ok(3));
        assert_eq!(&buf, b"0ab");
        let a = f.attr().unwrap();
        assert_eq!((a.mode & S_IFMT, a.size, a.nlink), (S_IFREG, 10, 0));
        assert_eq!(f.ops.fsync(&f), Ok(()));
    }

    #[test]
    fn termios_conversion_round_trips() {
        // A pty gives a real terminal to test against.
        use std::os::unix::fs::OpenOptionsExt;
        let Ok(master) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open("/dev/ptmx")
        else {
            return;
        };
        let t = rustix::termios::tcgetattr(&master).unwrap();
        let k = to_kernel(&t);
        let mut back = rustix::termios::tcgetattr(&master).unwrap();
        back.local_modes = LocalModes::empty();
        apply_kernel(&mut back, &k);
        assert_eq!(to_kernel(&back), k);
        assert_eq!(k.c_cc[4], 4, "VEOF is ^D");
    }
}
