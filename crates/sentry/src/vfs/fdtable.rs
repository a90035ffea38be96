//! The file descriptor table of a process (shared by CLONE_FILES).

use super::file::File;
use abi::Errno;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone)]
struct Slot {
    file: Arc<File>,
    cloexec: bool,
}

#[derive(Default)]
pub struct FdTable {
    slots: Mutex<Vec<Option<Slot>>>,
    /// This table has set POSIX record locks: closing an fd must drop the
    /// table's locks on that file (`vfs::lock::posix_closed`).
    posix_locks: AtomicBool,
}

impl std::fmt::Debug for FdTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FdTable({} slots)", self.slots.lock().len())
    }
}

/// The most fds a table may hold (fs.nr_open).
pub const NR_OPEN: u64 = 1 << 20;

impl FdTable {
    pub fn new() -> FdTable {
        FdTable::default()
    }

    pub fn get(&self, fd: i32) -> Result<Arc<File>, Errno> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        self.slots
            .lock()
            .get(fd as usize)
            .and_then(|s| s.as_ref())
            .map(|s| s.file.clone())
            .ok_or(Errno::EBADF)
    }

    pub fn get_cloexec(&self, fd: i32) -> Result<bool, Errno> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        self.slots
            .lock()
            .get(fd as usize)
            .and_then(|s| s.as_ref())
            .map(|s| s.cloexec)
            .ok_or(Errno::EBADF)
    }

    pub fn set_cloexec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        match self
            .slots
            .lock()
            .get_mut(fd as usize)
            .and_then(|s| s.as_mut())
        {
            Some(s) => {
                s.cloexec = on;
                Ok(())
            }
            None => Err(Errno::EBADF),
        }
    }

    /// Install at the lowest free fd >= `min`, below `limit` (RLIMIT_NOFILE).
    pub fn install(
        &self,
        file: Arc<File>,
        cloexec: bool,
        min: u64,
        limit: u64,
    ) -> Result<i32, Errno> {
        let limit = limit.min(NR_OPEN);
        if min >= limit {
            return Err(if min >= NR_OPEN {
                Errno::EINVAL
            } else {
                Errno::EMFILE
            });
        }
        let mut slots = self.slots.lock();
        let start = min as usize;
        let free = (start..slots.len())
            .find(|&i| slots[i].is_none())
            .unwrap_or(slots.len().max(start));
        if free as u64 >= limit {
            return Err(Errno::EMFILE);
        }
        if free >= slots.len() {
            slots.resize(free + 1, None);
        }
        slots[free] = Some(Slot { file, cloexec });
        Ok(free as i32)
    }

    /// Install at exactly `fd` (dup2/dup3), returning what was there.
    pub fn install_at(
        &self,
        fd: i32,
        file: Arc<File>,
        cloexec: bool,
        limit: u64,
    ) -> Result<Option<Arc<File>>, Errno> {
        if fd < 0 || fd as u64 >= limit.min(NR_OPEN) {
            return Err(Errno::EBADF);
        }
        let mut slots = self.slots.lock();
        let i = fd as usize;
        if i >= slots.len() {
            slots.resize(i + 1, None);
        }
        let old = slots[i].replace(Slot { file, cloexec }).map(|s| s.file);
        drop(slots);
        if let Some(f) = &old {
            self.closed(std::slice::from_ref(f));
        }
        Ok(old)
    }

    pub fn remove(&self, fd: i32) -> Result<Arc<File>, Errno> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        let f = self
            .slots
            .lock()
            .get_mut(fd as usize)
            .and_then(|s| s.take())
            .map(|s| s.file)
            .ok_or(Errno::EBADF)?;
        self.closed(std::slice::from_ref(&f));
        Ok(f)
    }

    /// The owner id of this table's POSIX locks, noting that it has some.
    pub fn posix_lock_owner(&self) -> usize {
        self.posix_locks.store(true, Ordering::SeqCst);
        self as *const FdTable as usize
    }

    /// Fds of `files` were closed: drop this table's POSIX locks on them.
    fn closed(&self, files: &[Arc<File>]) {
        if self.posix_locks.load(Ordering::SeqCst) {
            for f in files {
                super::lock::posix_closed(self as *const FdTable as usize, f);
            }
        }
    }

    /// close_range: remove (or, with `cloexec_only`, mark) fds in `[first, last]`.
    pub fn close_range(&self, first: u32, last: u32, cloexec_only: bool) -> Vec<Arc<File>> {
        let mut slots = self.slots.lock();
        let end = (last as usize).saturating_add(1).min(slots.len());
        let mut closed = Vec::new();
        for s in slots.iter_mut().take(end).skip(first as usize) {
            if cloexec_only {
                if let Some(s) = s.as_mut() {
                    s.cloexec = true;
                }
            } else if let Some(s) = s.take() {
                closed.push(s.file);
            }
        }
        drop(slots);
        self.closed(&closed);
        closed
    }

    /// A copy for fork without CLONE_FILES.
    pub fn fork(&self) -> FdTable {
        FdTable {
            slots: Mutex::new(self.slots.lock().clone()),
            posix_locks: AtomicBool::new(false),
        }
    }

    /// Close every close-on-exec fd.
    pub fn exec(&self) -> Vec<Arc<File>> {
        let mut slots = self.slots.lock();
        let mut closed = Vec::new();
        for s in slots.iter_mut() {
            if s.as_ref().is_some_and(|s| s.cloexec) {
                if let Some(s) = s.take() {
                    closed.push(s.file);
                }
            }
        }
        drop(slots);
        self.closed(&closed);
        closed
    }

    /// All open fds, in order.
    pub fn fds(&self) -> Vec<(i32, Arc<File>)> {
        self.slots
            .lock()
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as i32, s.file.clone())))
            .collect()
    }

    pub fn count(&self) -> usize {
        self.slots.lock().iter().filter(|s| s.is_some()).count()
    }
}

/// The table's last reference is gone (its process exited): every fd closes.
impl Drop for FdTable {
    fn drop(&mut self) {
        if self.posix_locks.load(Ordering::SeqCst) {
            let files: Vec<Arc<File>> = self
                .slots
                .get_mut()
                .iter()
                .flatten()
                .map(|s| s.file.clone())
                .collect();
            self.closed(&files);
        }
    }
}
