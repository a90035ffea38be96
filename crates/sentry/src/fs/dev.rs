//! Character devices of the memory class (major 1: null, zero, full, random,
//! urandom), the terminal devices of major 5 (tty, ptmx), and the /dev
//! directory a container expects.
//!
//! May use: `vfs` interfaces, `mm` I/O, `fs::tmpfs` to build /dev,
//! `fs::devpts` and `kernel::tty` for the terminal devices.

use crate::fs::devnum::{major, makedev, minor};
use crate::fs::tmpfs::Tmpfs;
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Inode, NewNode, Owner, S_IFCHR};
use abi::Errno;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MemDev {
    Null,
    Zero,
    Full,
    Random,
}

/// An open memory-class device. Positions mean nothing to these devices:
/// they are seekable, and every seek succeeds without effect on I/O.
struct MemDevFile(MemDev);

/// Random bytes are produced this many at a time.
const RANDOM_CHUNK: usize = 64 * 1024;

fn read_random(dst: &mut IoDst) -> Result<u64, Errno> {
    let mut buf = vec![0u8; (dst.remaining() as usize).min(RANDOM_CHUNK)];
    let mut done = 0u64;
    while dst.remaining() > 0 {
        let want = (dst.remaining() as usize).min(buf.len());
        let got = match rustix::rand::getrandom(
            &mut buf[..want],
            rustix::rand::GetRandomFlags::empty(),
        ) {
            Ok(n) => n,
            Err(_) if done > 0 => break,
            Err(e) => return Err(Errno(e.raw_os_error())),
        };
        let n = dst.put(&buf[..got])?;
        done += n as u64;
        if n < got || got == 0 {
            break;
        }
    }
    Ok(done)
}

impl FileOps for MemDevFile {
    fn read(&self, _f: &File, dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        match self.0 {
            MemDev::Null => Ok(0),
            MemDev::Zero | MemDev::Full => {
                let n = dst.remaining();
                dst.put_zeros(n)
            }
            MemDev::Random => read_random(dst),
        }
    }

    fn write(&self, _f: &File, src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        match self.0 {
            MemDev::Full => Err(Errno::ENOSPC),
            // Writes to the random devices only stir the pool in Linux; there
            // is nothing to stir here.
            MemDev::Null | MemDev::Zero | MemDev::Random => Ok(src.remaining()),
        }
    }

    /// These devices have no position: lseek always answers 0, as Linux does.
    fn own_position(&self) -> bool {
        true
    }

    fn seek(&self, _f: &File, _off: i64, whence: i32) -> Result<i64, Errno> {
        if !(0..=4).contains(&whence) {
            return Err(Errno::EINVAL);
        }
        Ok(0)
    }
}

/// Major number of the memory devices.
const MEM_MAJOR: u32 = 1;
/// Major number of /dev/tty, /dev/console and /dev/ptmx.
const TTYAUX_MAJOR: u32 = 5;

/// Open the character device `rdev` (a `makedev` number).
pub fn open_device(rdev: u64, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
    let dev = match (major(rdev), minor(rdev)) {
        (MEM_MAJOR, 3) => MemDev::Null,
        (MEM_MAJOR, 5) => MemDev::Zero,
        (MEM_MAJOR, 7) => MemDev::Full,
        (MEM_MAJOR, 8) | (MEM_MAJOR, 9) => MemDev::Random,
        // /dev/tty: the caller's controlling terminal (ENXIO without one).
        (TTYAUX_MAJOR, 0) => return crate::kernel::tty::open_controlling(flags),
        // /dev/ptmx: a new pseudo-terminal pair in the devpts beside it.
        (TTYAUX_MAJOR, 2) => return crate::fs::devpts::open_ptmx_device(flags),
        _ => return Err(Errno::ENXIO),
    };
    Ok(Box::new(MemDevFile(dev)))
}

/// The device nodes of /dev: name, major, minor.
const DEVICES: [(&[u8], u32, u32); 7] = [
    (b"null", MEM_MAJOR, 3),
    (b"zero", MEM_MAJOR, 5),
    (b"full", MEM_MAJOR, 7),
    (b"random", MEM_MAJOR, 8),
    (b"urandom", MEM_MAJOR, 9),
    (b"tty", TTYAUX_MAJOR, 0),
    (b"ptmx", TTYAUX_MAJOR, 2),
];

const SYMLINKS: [(&[u8], &[u8]); 4] = [
    (b"fd", b"/proc/self/fd"),
    (b"stdin", b"/proc/self/fd/0"),
    (b"stdout", b"/proc/self/fd/1"),
    (b"stderr", b"/proc/self/fd/2"),
];

/// Create `name` in `dir` unless something by that name is already there.
fn ensure(dir: &Arc<dyn Inode>, name: &[u8], node: NewNode) -> Result<Arc<dyn Inode>, Errno> {
    match dir.lookup(name) {
        Ok(n) => Ok(n),
        Err(Errno::ENOENT) => dir.create(name, &node, Owner::default()),
        Err(e) => Err(e),
    }
}

/// Build `dev` in the root of `tmpfs` (reusing one that exists) with the
/// memory devices, tty, ptmx, the /proc/self/fd links, and `pts` (where
/// devpts is mounted) and `shm`; returns
/// that directory, to be mounted or walked as /dev. Everything is owned by
/// root. Entries already present are left as they are.
pub fn make_dev_dir(tmpfs: &Arc<Tmpfs>) -> Result<Arc<dyn Inode>, Errno> {
    let dev = ensure(&tmpfs.root(), b"dev", NewNode::Dir { mode: 0o755 })?;
    for (name, ma, mi) in DEVICES {
        ensure(
            &dev,
            name,
            NewNode::Node {
                mode: S_IFCHR | 0o666,
                rdev: makedev(ma, mi),
            },
        )?;
    }
    for (name, target) in SYMLINKS {
        ensure(
            &dev,
            name,
            NewNode::Symlink {
                target: target.to_vec(),
            },
        )?;
    }
    ensure(&dev, b"pts", NewNode::Dir { mode: 0o755 })?;
    ensure(&dev, b"shm", NewNode::Dir { mode: 0o1777 })?;
    Ok(dev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::inode::{FileType, S_IFMT};
    use memory::MemoryFile;

    fn open(rdev: u64) -> Arc<File> {
        let ops = open_device(rdev, libc::O_RDWR as u32).unwrap();
        File::new(ops, None, None, libc::O_RDWR as u32)
    }

    #[test]
    fn null_zero_full() {
        let mut buf = [7u8; 100];
        let null = open(makedev(1, 3));
        assert_eq!(null.ops.read(&null, &mut IoDst::buf(&mut buf), 0), Ok(0));
        assert_eq!(null.ops.write(&null, &mut IoSrc::buf(&[1, 2, 3]), 0), Ok(3));
        assert!(null.ops.seekable());

        let zero = open(makedev(1, 5));
        assert_eq!(
            zero.ops.read(&zero, &mut IoDst::buf(&mut buf), 12345),
            Ok(100)
        );
        assert_eq!(buf, [0u8; 100]);
        assert_eq!(zero.ops.write(&zero, &mut IoSrc::buf(&[1; 10]), 0), Ok(10));
        assert!(zero.ops.mappable().is_none());

        let full = open(makedev(1, 7));
        buf = [7u8; 100];
        assert_eq!(full.ops.read(&full, &mut IoDst::buf(&mut buf), 0), Ok(100));
        assert_eq!(buf, [0u8; 100]);
        assert_eq!(
            full.ops.write(&full, &mut IoSrc::buf(&[1]), 0),
            Err(Errno::ENOSPC)
        );
    }

    #[test]
    fn random_devices() {
        for mi in [8, 9] {
            let f = open(makedev(1, mi));
            let mut buf = vec![0u8; 200_000];
            assert_eq!(f.ops.read(&f, &mut IoDst::buf(&mut buf), 0), Ok(200_000));
            assert!(buf.iter().filter(|&&b| b == 0).count() < 10_000);
            assert_eq!(f.ops.write(&f, &mut IoSrc::buf(b"entropy"), 0), Ok(7));
        }
    }

    #[test]
    fn unknown_devices() {
        // No task, so no controlling terminal.
        assert_eq!(open_device(makedev(5, 0), 0).err(), Some(Errno::ENXIO));
        assert_eq!(open_device(makedev(1, 1), 0).err(), Some(Errno::ENXIO));
        assert_eq!(open_device(makedev(42, 0), 0).err(), Some(Errno::ENXIO));
    }

    #[test]
    fn dev_dir() {
        let mf = Arc::new(MemoryFile::new(1 << 30).unwrap());
        let fs = Tmpfs::new(mf, 0o755, Owner::default());
        let dev = make_dev_dir(&fs).unwrap();
        // Building twice is harmless.
        let again = make_dev_dir(&fs).unwrap();
        assert_eq!(dev.attr().unwrap().ino, again.attr().unwrap().ino);

        let null = dev.lookup(b"null").unwrap();
        let a = null.attr().unwrap();
        assert_eq!(a.mode, S_IFCHR | 0o666);
        assert_eq!(a.rdev, makedev(1, 3));
        let me = null.clone();
        let ops = null.open(&me, libc::O_WRONLY as u32).unwrap();
        let f = File::new(ops, None, Some(null), libc::O_WRONLY as u32);
        assert_eq!(f.ops.write(&f, &mut IoSrc::buf(b"gone"), 0), Ok(4));

        let tty = dev.lookup(b"tty").unwrap();
        assert_eq!(tty.open(&tty, 0).err(), Some(Errno::ENXIO));

        assert_eq!(
            dev.lookup(b"stdout").unwrap().readlink().unwrap(),
            b"/proc/self/fd/1"
        );
        assert_eq!(
            dev.lookup(b"fd").unwrap().readlink().unwrap(),
            b"/proc/self/fd"
        );
        let shm = dev.lookup(b"shm").unwrap().attr().unwrap();
        assert_eq!(shm.mode & !S_IFMT, 0o1777);
        assert_eq!(shm.file_type(), FileType::Directory);
        let names: Vec<Vec<u8>> = dev.readdir().unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names.len(), 13);
        let ptmx = dev.lookup(b"ptmx").unwrap().attr().unwrap();
        assert_eq!((ptmx.mode, ptmx.rdev), (S_IFCHR | 0o666, makedev(5, 2)));
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }
}
