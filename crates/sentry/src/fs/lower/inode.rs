//! Inodes of the read-only host layer, on top of any [`FileServer`].
//!
//! Each inode holds one server handle. Attributes come with the walk and are
//! cached; the layer is read-only, so they stay valid until the host changes
//! the file behind our back — [`LowerInode::revalidate`] is the hook for the
//! revalidation the Gofer client will do. Regular files get one host fd from
//! the server on first open, shared by every open file and the page cache
//! (all reads are positional).

use super::server::{FileServer, Handle};
use crate::fs::pagecache::PageCache;
use crate::mm::{IoDst, Mappable};
use crate::vfs::file::{File, FileOps};
use crate::vfs::inode::{Attr, DirEntry, FileType, FsInfo, Inode, NewNode, Owner, SetAttr};
use abi::Errno;
use memory::MemoryFile;
use parking_lot::Mutex;
use std::any::Any;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// ext4's magic, reported when the host will not say.
const EXT4_SUPER_MAGIC: u64 = 0xEF53;

/// What every inode of one lower filesystem shares.
struct LowerFs {
    server: Arc<dyn FileServer>,
    mf: Arc<MemoryFile>,
    magic: u64,
}

/// Host data of a regular file, opened on first use.
struct Data {
    fd: Arc<OwnedFd>,
    cache: Arc<PageCache>,
}

pub struct LowerInode {
    fs: Arc<LowerFs>,
    handle: Handle,
    /// Path from the served root ("/" for the root), for /proc/PID/maps.
    path: Vec<u8>,
    attr: Mutex<Option<Attr>>,
    data: Mutex<Option<Arc<Data>>>,
}

impl std::fmt::Debug for LowerInode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LowerInode({})", String::from_utf8_lossy(&self.path))
    }
}

impl LowerInode {
    /// The root inode of the filesystem `server` serves. File pages are
    /// cached in `mf`.
    pub fn new_root(
        server: Arc<dyn FileServer>,
        mf: Arc<MemoryFile>,
    ) -> Result<Arc<LowerInode>, Errno> {
        let handle = server.root();
        let attr = server.getattr(handle)?;
        if !attr.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let magic = server
            .statfs(handle)
            .map(|s| s.magic)
            .unwrap_or(EXT4_SUPER_MAGIC);
        let fs = Arc::new(LowerFs { server, mf, magic });
        Ok(Arc::new(LowerInode {
            fs,
            handle,
            path: b"/".to_vec(),
            attr: Mutex::new(Some(attr)),
            data: Mutex::new(None),
        }))
    }

    /// Forget cached attributes (and, if the file changed size, cached
    /// pages), so the next `attr` asks the server. Called by whoever learns
    /// the host file changed; nothing calls it while the layer is read-only.
    pub fn revalidate(&self) -> Result<(), Errno> {
        let fresh = self.fs.server.getattr(self.handle)?;
        let old = self.attr.lock().replace(fresh.clone());
        let data = self.data.lock().clone();
        if let (Some(old), Some(d)) = (old, data) {
            if old.size != fresh.size || old.mtime != fresh.mtime {
                d.cache.invalidate();
                d.cache.set_size(fresh.size);
            }
        }
        Ok(())
    }

    /// The shared host fd and page cache, opening the file on first use.
    fn data(&self) -> Result<Arc<Data>, Errno> {
        let mut slot = self.data.lock();
        if let Some(d) = &*slot {
            return Ok(d.clone());
        }
        let fd = Arc::new(self.fs.server.open(self.handle, libc::O_RDONLY as u32)?);
        let a = self.attr()?;
        let id = (
            a.dev,
            a.ino,
            String::from_utf8_lossy(&self.path).into_owned(),
        );
        let cache = Arc::new(PageCache::new(self.fs.mf.clone(), fd.clone(), a.size, id));
        let d = Arc::new(Data { fd, cache });
        *slot = Some(d.clone());
        Ok(d)
    }
}

impl Drop for LowerInode {
    fn drop(&mut self) {
        self.fs.server.release(self.handle);
    }
}

impl Inode for LowerInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let mut a = self.attr.lock();
        if let Some(a) = &*a {
            return Ok(a.clone());
        }
        let fresh = self.fs.server.getattr(self.handle)?;
        *a = Some(fresh.clone());
        Ok(fresh)
    }

    fn setattr(&self, _req: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        if !self.attr()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let (handle, attr) = self.fs.server.walk(self.handle, name)?;
        let mut path = self.path.clone();
        if path != b"/" {
            path.push(b'/');
        }
        path.extend_from_slice(name);
        Ok(Arc::new(LowerInode {
            fs: self.fs.clone(),
            handle,
            path,
            attr: Mutex::new(Some(attr)),
            data: Mutex::new(None),
        }))
    }

    fn create(
        &self,
        _name: &[u8],
        _node: &NewNode,
        _owner: Owner,
    ) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::EROFS)
    }

    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    fn rename(
        &self,
        _old: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new: &[u8],
        _flags: u32,
    ) -> Result<(), Errno> {
        Err(Errno::EROFS)
    }

    fn readdir(&self) -> Result<Vec<DirEntry>, Errno> {
        self.fs.server.readdir(self.handle)
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        self.fs.server.readlink(self.handle)
    }

    fn open(&self, me: &Arc<dyn Inode>, flags: u32) -> Result<Box<dyn FileOps>, Errno> {
        if flags & libc::O_PATH as u32 != 0 {
            return Ok(Box::new(PathFile));
        }
        let a = self.attr()?;
        let kind = a.file_type();
        let writes = flags & (libc::O_WRONLY | libc::O_RDWR | libc::O_TRUNC) as u32 != 0;
        match kind {
            FileType::Directory if writes => Err(Errno::EISDIR),
            FileType::Regular if writes => Err(Errno::EROFS),
            FileType::Regular => Ok(Box::new(LowerFile { data: self.data()? })),
            FileType::Directory => Ok(Box::new(LowerDir { inode: me.clone() })),
            FileType::Symlink => Err(Errno::ELOOP),
            // A device node reaches the Sentry's driver, never the host's
            // (and, as on Linux, a read-only filesystem does not stop writes
            // to it). FIFOs and sockets are not served from the host.
            FileType::CharDev => crate::fs::dev::open_device(a.rdev, flags),
            _ => Err(Errno::ENXIO),
        }
    }

    fn fs_info(&self) -> FsInfo {
        FsInfo {
            magic: self.fs.magic,
            name: "lower",
            read_only: true,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An O_PATH open: no I/O.
struct PathFile;

impl FileOps for PathFile {}

/// An open regular file of the lower layer.
struct LowerFile {
    data: Arc<Data>,
}

impl FileOps for LowerFile {
    fn supports_direct(&self) -> bool {
        true
    }

    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        Ok(())
    }

    fn read(&self, _f: &File, dst: &mut IoDst, off: i64) -> Result<u64, Errno> {
        if off < 0 {
            return Err(Errno::EINVAL);
        }
        let mut total = 0u64;
        // preadv may stop short (many iovecs, signals); keep going until
        // the destination is full or the file ends.
        while dst.remaining() > 0 {
            let at = off.checked_add(total as i64).ok_or(Errno::EINVAL)?;
            match dst.read_from_fd(self.data.fd.as_fd(), Some(at)) {
                Ok(0) => break,
                Ok(n) => total += n,
                Err(Errno::EINTR) if total == 0 => continue,
                Err(_) if total > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    fn write(&self, _f: &File, _src: &mut crate::mm::IoSrc, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        Some(self.data.cache.clone())
    }

    fn seek_data(&self, _f: &File, off: i64, _size: i64, hole: bool) -> Result<i64, Errno> {
        if off < 0 {
            return Err(Errno::ENXIO);
        }
        let pos = if hole {
            rustix::fs::SeekFrom::Hole(off as u64)
        } else {
            rustix::fs::SeekFrom::Data(off as u64)
        };
        // Positional: lseek moves the shared host fd's offset, which no read uses.
        rustix::fs::seek(self.data.fd.as_fd(), pos)
            .map(|p| p as i64)
            .map_err(|e| Errno(e.raw_os_error()))
    }
}

/// An open directory of the lower layer.
struct LowerDir {
    inode: Arc<dyn Inode>,
}

impl FileOps for LowerDir {
    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        Ok(())
    }

    fn read(&self, _f: &File, _dst: &mut IoDst, _off: i64) -> Result<u64, Errno> {
        Err(Errno::EISDIR)
    }

    fn readdir(&self, _f: &File) -> Result<Vec<DirEntry>, Errno> {
        self.inode.readdir()
    }
}
