//! Open file descriptions: what an fd refers to.

use super::inode::{Attr, DirEntry, Inode};
use super::path::Path;
use crate::mm::{IoDst, IoSrc, Mappable, Mm};
use abi::Errno;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// Operations of an open file. Defaults are what a file that does not
/// support the operation answers.
pub trait FileOps: Send + Sync {
    /// Read into `dst` at `off` (ignored by non-seekable files). Returns bytes read.
    /// Files that can block answer EAGAIN when nothing can be read now (see `write`).
    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EINVAL)
    }

    /// Write from `src` at `off` (for O_APPEND the caller passes the end of file).
    ///
    /// Files that can block (those with a `wait_queue`) answer EAGAIN
    /// when they cannot go on now, whatever the file's O_NONBLOCK; the
    /// syscall layer waits and calls again (`syscalls::blocking`). What a
    /// write consumed from `src` before answering EAGAIN counts as written,
    /// so consume only what was really accepted; any other error means
    /// nothing was written by this call.
    fn write(&self, _f: &File, _src: &mut IoSrc, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EINVAL)
    }

    /// Whether the file has a position (regular files, directories, block devices).
    fn seekable(&self) -> bool {
        true
    }

    /// Whether O_DIRECT may be set on this file (open and F_SETFL refuse it
    /// with EINVAL otherwise, as Linux does for files without direct I/O).
    fn supports_direct(&self) -> bool {
        false
    }

    /// The file keeps its position itself (a donated host fd shares its
    /// offset with processes outside the sandbox): plain reads and writes
    /// get `off = -1` meaning "at the current position", and lseek calls `seek`.
    fn own_position(&self) -> bool {
        false
    }

    /// lseek for files with `own_position`.
    fn seek(&self, _f: &File, _off: i64, _whence: i32) -> Result<i64, Errno> {
        Err(Errno::ESPIPE)
    }

    /// Directory entries (directories only).
    fn readdir(&self, _f: &File) -> Result<Vec<DirEntry>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// ioctl(2); `mm` is the caller's memory for argument structures.
    fn ioctl(&self, _f: &File, _mm: &Mm, _cmd: u32, _arg: u64) -> Result<u64, Errno> {
        Err(Errno::ENOTTY)
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        None
    }

    /// Files without a sync operation (devices, pipes, sockets) answer EINVAL, as on Linux.
    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    /// Readiness for poll, select and epoll (`POLLIN`, `POLLOUT`... bits).
    /// The default suits regular files: always readable and writable.
    fn poll(&self, _f: &File) -> u32 {
        (libc::POLLIN | libc::POLLOUT | libc::POLLRDNORM | libc::POLLWRNORM) as u32
    }

    /// Where waiters for readiness changes register (notified with the
    /// poll bits that became true). None: readiness never changes.
    fn wait_queue(&self) -> Option<&crate::kernel::waiter::WaitQueue> {
        None
    }

    /// Bytes available to read now (FIONREAD), where meaningful.
    fn readable_bytes(&self, _f: &File) -> Option<u64> {
        None
    }

    /// Attributes, for files without an inode (pipes, anonymous files).
    fn attr(&self) -> Result<Attr, Errno> {
        Err(Errno::EBADF)
    }

    /// The anonymous inode's name /proc/PID/fd shows after "anon_inode:"
    /// ("[signalfd]", "inotify"...), for files without a path.
    fn anon_name(&self) -> Option<&'static str> {
        None
    }

    /// Called by open(2) once the file exists, with the opening task: a
    /// file that must wait before open returns (a FIFO waits for its other
    /// end) blocks here. An error undoes the open (the file is dropped).
    fn open_wait(&self, _f: &File, _t: &mut crate::kernel::Task) -> Result<(), Errno> {
        Ok(())
    }

    /// The concrete ops, for callers that must recognise a file type
    /// (F_SETPIPE_SZ finds pipes, epoll finds nested epoll instances).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }

    /// fallocate(2) of a regular file opened for writing, after the VFS
    /// checks (`vfs::range`): `mode` is FALLOC_FL_* bits, the range is
    /// valid and within the largest file size.
    fn fallocate(&self, _f: &File, _mode: u32, _off: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// sync_file_range(2) after the VFS checks: `end` is inclusive,
    /// `flags` SYNC_FILE_RANGE_* bits. Files whose data lives only in the
    /// Sentry have nothing to write back.
    fn sync_range(&self, _f: &File, _off: u64, _end: u64, _flags: u32) -> Result<(), Errno> {
        Ok(())
    }

    /// posix_fadvise(2) after the VFS checks (`advice` is valid, `len` not
    /// negative; 0 means to the end). Advice is a hint: the default ignores it.
    fn fadvise(&self, _f: &File, _off: i64, _len: i64, _advice: u32) -> Result<(), Errno> {
        Ok(())
    }

    /// SEEK_DATA/SEEK_HOLE: next data or hole at or after `off`; default treats the file as all data.
    fn seek_data(&self, _f: &File, off: i64, size: i64, hole: bool) -> Result<i64, Errno> {
        if off >= size {
            return Err(Errno::ENXIO);
        }
        Ok(if hole { size } else { off })
    }
}

/// Per-description directory read state: a snapshot of entries taken at the
/// first getdents after open or rewind.
#[derive(Default)]
pub struct DirCursor {
    pub entries: Option<Vec<DirEntry>>,
}

pub struct File {
    pub ops: Box<dyn FileOps>,
    /// The path it was opened by (None for pipes and anonymous files).
    pub path: Option<Path>,
    pub inode: Option<Arc<dyn Inode>>,
    flags: AtomicU32,
    pub pos: Mutex<i64>,
    pub dir: Mutex<DirCursor>,
    /// What advisory locks of this file key on, once it has locked (`vfs::lock`).
    pub lock_key: std::sync::OnceLock<super::lock::LockKey>,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "File(flags={:#o})", self.flags())
    }
}

/// Status flags fcntl(F_SETFL) may change.
pub const SETFL_MASK: u32 =
    (libc::O_APPEND | libc::O_NONBLOCK | libc::O_DIRECT | libc::O_NOATIME | libc::O_ASYNC) as u32;

/// inotify hook: the last reference to an open file is its close; its
/// flock and OFD locks go with it.
impl Drop for File {
    fn drop(&mut self) {
        super::lock::file_released(self);
        crate::fs::inotify::closed(self);
    }
}

impl File {
    pub fn new(
        ops: Box<dyn FileOps>,
        path: Option<Path>,
        inode: Option<Arc<dyn Inode>>,
        flags: u32,
    ) -> Arc<File> {
        // Creation-only flags are not part of a description's status.
        let keep =
            !((libc::O_CREAT | libc::O_EXCL | libc::O_NOCTTY | libc::O_TRUNC | libc::O_CLOEXEC)
                as u32);
        Arc::new(File {
            ops,
            path,
            inode,
            flags: AtomicU32::new(flags & keep),
            pos: Mutex::new(0),
            dir: Mutex::new(DirCursor::default()),
            lock_key: std::sync::OnceLock::new(),
        })
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub fn set_status_flags(&self, new: u32) {
        let old = self.flags();
        self.flags
            .store((old & !SETFL_MASK) | (new & SETFL_MASK), Ordering::Relaxed);
    }

    pub fn readable(&self) -> bool {
        let acc = self.flags() & libc::O_ACCMODE as u32;
        (acc == libc::O_RDONLY as u32 || acc == libc::O_RDWR as u32)
            && self.flags() & libc::O_PATH as u32 == 0
    }

    pub fn writable(&self) -> bool {
        let acc = self.flags() & libc::O_ACCMODE as u32;
        (acc == libc::O_WRONLY as u32 || acc == libc::O_RDWR as u32)
            && self.flags() & libc::O_PATH as u32 == 0
    }

    pub fn is_path_only(&self) -> bool {
        self.flags() & libc::O_PATH as u32 != 0
    }

    pub fn nonblocking(&self) -> bool {
        self.flags() & libc::O_NONBLOCK as u32 != 0
    }

    pub fn attr(&self) -> Result<Attr, Errno> {
        match &self.inode {
            Some(i) => i.attr(),
            None => self.ops.attr(),
        }
    }
}
