//! Path helpers for syscall handlers: reading path arguments, choosing the
//! starting directory of a *at() call, running a walk with the task's root
//! and credentials.

use super::Task;
use crate::vfs::path::PATH_MAX;
use crate::vfs::{Owner, Path, Walk};
use abi::Errno;

impl Task {
    /// A path argument (at most PATH_MAX - 1 bytes).
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        self.mm.read_cstring(addr, PATH_MAX - 1)
    }

    /// Where a relative `path` given with `dirfd` starts.
    pub fn start_dir(&self, dirfd: i32, path: &[u8]) -> Result<Path, Errno> {
        if path.first() == Some(&b'/') {
            return Ok(self.fs.st.lock().root.clone());
        }
        if dirfd == libc::AT_FDCWD {
            return Ok(self.fs.st.lock().cwd.clone());
        }
        let f = self.fds.get(dirfd)?;
        let p = f.path.clone().ok_or(Errno::ENOTDIR)?;
        if path.is_empty() {
            return Ok(p);
        }
        if !p.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(p)
    }

    /// Run `f` with a walk from the task's root, with its credentials.
    pub fn with_walk<R>(&self, f: impl FnOnce(&mut Walk<'_>) -> R) -> R {
        let root = self.fs.st.lock().root.clone();
        let mut w = Walk::new(&self.k.mounts, &root, &self.creds);
        f(&mut w)
    }

    /// Resolve `path` relative to `dirfd`. An empty path is ENOENT unless
    /// `empty_ok` (AT_EMPTY_PATH), which names `dirfd` itself.
    pub fn resolve(
        &self,
        dirfd: i32,
        path: &[u8],
        follow: bool,
        empty_ok: bool,
    ) -> Result<Path, Errno> {
        if path.is_empty() {
            if !empty_ok {
                return Err(Errno::ENOENT);
            }
            if dirfd == libc::AT_FDCWD {
                return Ok(self.fs.st.lock().cwd.clone());
            }
            return self.fds.get(dirfd)?.path.clone().ok_or(Errno::EBADF);
        }
        let start = self.start_dir(dirfd, path)?;
        self.with_walk(|w| w.walk(&start, path, follow))
    }

    /// The owner of files this task creates.
    pub fn owner(&self) -> Owner {
        Owner {
            uid: self.creds.fsuid,
            gid: self.creds.fsgid,
        }
    }

    pub fn umask(&self) -> u32 {
        self.fs.st.lock().umask
    }
}
