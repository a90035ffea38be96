//! Host file descriptors donated to the sandbox at start (the caller's
//! stdin, stdout and stderr): reads and writes go straight to the host fd,
//! terminal ioctls to the host terminal.
//!
//! May use: `vfs` interfaces, `mm` I/O, rustix for the host calls.

use crate::fs::devnum;
use crate::mm::{IoDst, IoSrc, Mm};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, S_IFMT, S_IFREG};
use abi::{Errno, Timespec};
use rustix::termios::{
    ControlModes, InputModes, LocalModes, OptionalActions, OutputModes, SpecialCodeIndex, Termios,
};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::OnceLock;

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541b;

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
        HostFile {
            fd,
            regular,
            initial_offset,
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
}

impl FileOps for HostFile {
    fn read(&self, _f: &File, dst: &mut IoDst, off: i64) -> Result<u64, Errno> {
        if dst.remaining() == 0 {
            return Ok(0);
        }
        // A terminal read blocks this task's thread in the host; other
        // tasks run on their own threads.
        dst.read_from_fd(self.fd.as_fd(), self.off(off))
    }

    fn write(&self, _f: &File, src: &mut IoSrc, off: i64) -> Result<u64, Errno> {
        if src.remaining() == 0 {
            return Ok(0);
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

    fn ioctl(&self, _f: &File, mm: &Mm, cmd: u32, arg: u64) -> Result<u64, Errno> {
        let fd = self.fd.as_fd();
        match cmd {
            TCGETS => {
                let t = rustix::termios::tcgetattr(fd).map_err(host_errno)?;
                mm.write_obj(arg, &to_kernel(&t))?;
            }
            TCSETS | TCSETSW | TCSETSF => {
                let mut t = rustix::termios::tcgetattr(fd).map_err(host_errno)?;
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
