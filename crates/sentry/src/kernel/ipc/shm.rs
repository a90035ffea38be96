//! System V shared memory segments.
//!
//! A segment's memory is a [`SharedAnon`] object, as MAP_SHARED|MAP_ANONYMOUS
//! memory: frames of the MemoryFile that every attacher maps. An attach is
//! an ordinary shared file mapping whose backing is an [`ShmAttach`]: it
//! hands out the segment's frames and counts itself in `shm_nattch` from
//! its creation (shmat, or a fork copying the area) until it is released
//! (shmdt, munmap, exec, exit). A removed segment with attaches stays until
//! the last one goes.
//!
//! Lock order: an address space's lock (`Mm::st`) comes before the
//! registry's (an attach is released inside munmap); nothing here calls
//! into an address space with the registry locked.

use super::perm::{GetArgs, Table, CAP_IPC_LOCK};
use crate::kernel::creds::Creds;
use crate::mm::shared::SharedAnon;
use crate::mm::vma::Backing;
use crate::mm::{Mappable, Mm};
use abi::ipc::*;
use abi::{Errno, PAGE_SIZE};
use memory::MemoryFile;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct Segment {
    pub size: u64,
    pub mem: Arc<SharedAnon>,
    /// The key at creation: the name /proc/PID/maps shows.
    pub name_key: i32,
    pub nattch: u64,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    pub cpid: i32,
    pub lpid: i32,
}

pub struct ShmRegistry {
    mf: Arc<MemoryFile>,
    table: Mutex<Table<Segment>>,
}

fn now() -> i64 {
    crate::kernel::time::realtime().tv_sec
}

fn pages(size: u64) -> u64 {
    size.div_ceil(PAGE_SIZE)
}

/// What shmat needs of a segment.
pub struct AttachPlan {
    pub attach: Arc<ShmAttach>,
    pub size: u64,
}

impl ShmRegistry {
    pub fn new(mf: Arc<MemoryFile>) -> Arc<ShmRegistry> {
        Arc::new(ShmRegistry {
            mf,
            table: Mutex::new(Table::new(SHMMNI as usize)),
        })
    }

    fn total_pages(t: &Table<Segment>) -> u64 {
        t.iter().map(|o| pages(o.data.size)).sum()
    }

    /// shmget(2).
    pub fn get(&self, key: i32, size: u64, flags: u32, c: &Creds, pid: i32) -> Result<i32, Errno> {
        let mut t = self.table.lock();
        let total = Self::total_pages(&t);
        let mf = self.mf.clone();
        t.get_or_create(
            GetArgs { key, flags },
            c,
            |seg| {
                if seg.size < size {
                    Err(Errno::EINVAL)
                } else {
                    Ok(())
                }
            },
            || {
                if !(SHMMIN..=SHMMAX).contains(&size) {
                    return Err(Errno::EINVAL);
                }
                let n = pages(size);
                if total.checked_add(n).is_none_or(|t| t > SHMALL) {
                    return Err(Errno::ENOSPC);
                }
                if flags & SHM_HUGETLB != 0 {
                    // No huge pages are reserved in the sandbox.
                    return Err(Errno::ENOMEM);
                }
                Ok(Segment {
                    size,
                    mem: SharedAnon::new(mf, n * PAGE_SIZE),
                    name_key: key,
                    nattch: 0,
                    atime: 0,
                    dtime: 0,
                    ctime: now(),
                    cpid: pid,
                    lpid: 0,
                })
            },
        )
    }

    /// The first half of shmat(2): check access and count a new attach
    /// (what the caller must map, then confirm with [`ShmAttach::attached`]
    /// or give up with [`ShmAttach::abandon`]).
    pub fn attach(self: &Arc<Self>, id: i32, access: u32, c: &Creds) -> Result<AttachPlan, Errno> {
        let mut t = self.table.lock();
        let o = t.get_mut(id)?;
        o.perm.check(c, access)?;
        o.data.nattch += 1;
        Ok(AttachPlan {
            attach: Arc::new(ShmAttach {
                reg: self.clone(),
                id,
                serial: o.serial,
                key: o.data.name_key,
                mem: o.data.mem.clone(),
                released: AtomicBool::new(false),
            }),
            size: o.data.size,
        })
    }

    /// A segment was mapped by process `pid` (shmat, or a fork's copy).
    fn touch(&self, id: i32, serial: u64, pid: Option<i32>) {
        let mut t = self.table.lock();
        if let Some(o) = t.get_serial_mut(id, serial) {
            o.data.atime = now();
            if let Some(p) = pid {
                o.data.lpid = p;
            }
        }
    }

    /// An attach went away (`pid` detached it; None: it never got
    /// mapped): count it, and destroy a removed segment with no attaches
    /// left.
    fn detach(&self, id: i32, serial: u64, pid: Option<i32>) {
        let mut t = self.table.lock();
        let Some(o) = t.get_serial_mut(id, serial) else {
            return;
        };
        o.data.nattch = o.data.nattch.saturating_sub(1);
        if let Some(p) = pid {
            o.data.dtime = now();
            o.data.lpid = p;
        }
        if o.data.nattch == 0 && o.perm.mode & SHM_DEST != 0 {
            t.remove(id);
        }
    }

    fn stat_of(o: &super::perm::Obj<Segment>) -> ShmidDs {
        let s = &o.data;
        ShmidDs {
            perm: o.perm.to_abi(),
            segsz: s.size,
            atime: s.atime,
            dtime: s.dtime,
            ctime: s.ctime,
            cpid: s.cpid,
            lpid: s.lpid,
            nattch: s.nattch,
            ..Default::default()
        }
    }

    /// IPC_STAT (`index` false) or SHM_STAT/SHM_STAT_ANY (`index` true):
    /// the id and the segment's description.
    pub fn stat(
        &self,
        id: i32,
        index: bool,
        check: bool,
        c: &Creds,
    ) -> Result<(i32, ShmidDs), Errno> {
        let t = self.table.lock();
        let o = if index { t.by_index(id)? } else { t.get(id)? };
        if check {
            o.perm.check(c, 0o444)?;
        }
        Ok((o.id, Self::stat_of(o)))
    }

    /// IPC_SET.
    pub fn set(&self, id: i32, ds: &ShmidDs, c: &Creds) -> Result<(), Errno> {
        let mut t = self.table.lock();
        let o = t.get_mut(id)?;
        o.perm.check_owner(c)?;
        o.perm.update(&ds.perm)?;
        o.data.ctime = now();
        Ok(())
    }

    /// IPC_RMID: gone now, or once the last attach goes.
    pub fn remove(&self, id: i32, c: &Creds) -> Result<(), Errno> {
        let mut t = self.table.lock();
        let o = t.get_mut(id)?;
        o.perm.check_owner(c)?;
        if o.data.nattch > 0 {
            o.perm.mode |= SHM_DEST;
            t.set_private(id);
        } else {
            t.remove(id);
        }
        Ok(())
    }

    /// SHM_LOCK / SHM_UNLOCK: only the flag (nothing is ever swapped out).
    pub fn lock(&self, id: i32, lock: bool, c: &Creds, memlock_limit: u64) -> Result<(), Errno> {
        let mut t = self.table.lock();
        let o = t.get_mut(id)?;
        if !c.has_cap(CAP_IPC_LOCK) {
            if c.euid != o.perm.uid && c.euid != o.perm.cuid {
                return Err(Errno::EPERM);
            }
            if lock && memlock_limit == 0 {
                return Err(Errno::EPERM);
            }
        }
        if lock {
            o.perm.mode |= SHM_LOCKED;
        } else {
            o.perm.mode &= !SHM_LOCKED;
        }
        Ok(())
    }

    /// IPC_INFO: the limits, and the highest index in use.
    pub fn info(&self) -> (i32, ShmInfo64) {
        let t = self.table.lock();
        (
            t.max_idx().max(0),
            ShmInfo64 {
                shmmax: SHMMAX,
                shmmin: SHMMIN,
                shmmni: SHMMNI,
                shmseg: SHMSEG,
                shmall: SHMALL,
                unused: [0; 4],
            },
        )
    }

    /// SHM_INFO: what is in use.
    pub fn usage(&self) -> (i32, ShmInfo) {
        let t = self.table.lock();
        let tot = Self::total_pages(&t);
        (
            t.max_idx().max(0),
            ShmInfo {
                used_ids: t.len() as i32,
                shm_tot: tot,
                shm_rss: tot,
                ..Default::default()
            },
        )
    }

    /// The lines of /proc/sysvipc/shm.
    pub fn proc_lines(&self) -> Vec<String> {
        let t = self.table.lock();
        t.iter()
            .map(|o| {
                let s = &o.data;
                format!(
                    "{:>10} {:>10}  {:>4o} {:>21} {:>5} {:>5}  {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10} {:>21} {:>21}\n",
                    o.perm.key,
                    o.id,
                    o.perm.mode,
                    s.size,
                    s.cpid,
                    s.lpid,
                    s.nattch,
                    o.perm.uid,
                    o.perm.gid,
                    o.perm.cuid,
                    o.perm.cgid,
                    s.atime,
                    s.dtime,
                    s.ctime,
                    pages(s.size) * PAGE_SIZE,
                    0
                )
            })
            .collect()
    }
}

/// One attach of a segment: the backing of the areas shmat made.
pub struct ShmAttach {
    reg: Arc<ShmRegistry>,
    id: i32,
    serial: u64,
    key: i32,
    mem: Arc<SharedAnon>,
    released: AtomicBool,
}

impl ShmAttach {
    /// Count this attach gone (once), as detached by process `pid` (None:
    /// the calling task's process).
    pub fn release(&self, pid: Option<i32>) {
        if self.released.swap(true, Ordering::SeqCst) {
            return;
        }
        let pid = pid
            .or_else(|| crate::kernel::current::get().map(|c| c.tg.tgid))
            .unwrap_or(0);
        self.reg.detach(self.id, self.serial, Some(pid));
    }

    /// The attach was mapped by process `pid`.
    pub fn attached(&self, pid: i32) {
        self.reg.touch(self.id, self.serial, Some(pid));
    }

    /// The attach could not be mapped: it never counted as one.
    pub fn abandon(&self) {
        if !self.released.swap(true, Ordering::SeqCst) {
            self.reg.detach(self.id, self.serial, None);
        }
    }

    /// The attach backing `m`, if it is one.
    pub fn of(m: &Arc<dyn Mappable>) -> Option<&ShmAttach> {
        m.as_any().and_then(|a| a.downcast_ref::<ShmAttach>())
    }
}

impl Drop for ShmAttach {
    fn drop(&mut self) {
        self.release(None);
    }
}

impl Mappable for ShmAttach {
    fn get_frames(&self, off: u64, len: u64, write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        self.mem.get_frames(off, len, write)
    }

    fn size(&self) -> u64 {
        self.mem.size()
    }

    fn describe(&self) -> (u64, u64, String) {
        (
            crate::fs::devnum::makedev(0, 1),
            self.id as u64,
            format!("/SYSV{:08x} (deleted)", self.key as u32),
        )
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn fork_copy(&self) -> Option<Arc<dyn Mappable>> {
        // Linux's shm_open on fork: one more attach, by the forking process.
        let pid = crate::kernel::current::get().map(|c| c.tg.tgid);
        {
            let mut t = self.reg.table.lock();
            let o = t.get_serial_mut(self.id, self.serial)?;
            o.data.nattch += 1;
        }
        self.reg.touch(self.id, self.serial, pid);
        Some(Arc::new(ShmAttach {
            reg: self.reg.clone(),
            id: self.id,
            serial: self.serial,
            key: self.key,
            mem: self.mem.clone(),
            released: AtomicBool::new(false),
        }))
    }
}

/// shmat(2)'s address rules, checked before the segment is looked up:
/// the address to map at (0: anywhere) and whether it is fixed.
pub fn attach_address(addr: u64, flags: u32) -> Result<u64, Errno> {
    if addr == 0 {
        if flags & SHM_REMAP != 0 {
            return Err(Errno::EINVAL);
        }
        return Ok(0);
    }
    if addr.is_multiple_of(SHMLBA) {
        return Ok(addr);
    }
    if flags & SHM_RND == 0 {
        return Err(Errno::EINVAL);
    }
    let rounded = addr & !(SHMLBA - 1);
    if rounded == 0 && flags & SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(rounded)
}

/// Map an attach at `addr` (from [`attach_address`]) for process `pid`.
pub fn map_attach(
    mm: &Mm,
    plan: AttachPlan,
    addr: u64,
    flags: u32,
    pid: i32,
) -> Result<u64, Errno> {
    use crate::mm::mmap::MmapOpts;
    use platform::Prot;
    let att = plan.attach.clone();
    let r = (|| {
        let size = plan.size;
        if addr != 0 && flags & SHM_REMAP == 0 {
            let end = addr.checked_add(size).ok_or(Errno::EINVAL)?;
            let end = abi::page_up(end).ok_or(Errno::EINVAL)?;
            if mm.st.lock().vmas.any_in(addr, end) {
                return Err(Errno::EINVAL);
            }
        }
        let rdonly = flags & SHM_RDONLY != 0;
        let mut prot = if rdonly { Prot::READ } else { Prot::RW };
        if flags & SHM_EXEC != 0 {
            prot = Prot(prot.0 | Prot::EXEC.0);
        }
        let mut o = MmapOpts::anon(size, prot);
        o.addr = addr;
        o.fixed = addr != 0;
        o.shared = true;
        o.max_prot = if rdonly {
            Prot(Prot::READ.0 | Prot::EXEC.0)
        } else {
            Prot(7)
        };
        o.backing = Backing::File {
            m: plan.attach,
            off: 0,
        };
        mm.mmap(o)
    })();
    match r {
        Ok(_) => att.attached(pid),
        Err(_) => att.abandon(),
    }
    r
}

/// shmdt(2): unmap the attach whose first page is at `addr`, with every
/// piece of it up to the segment's size.
pub fn detach_at(mm: &Mm, addr: u64) -> Result<(), Errno> {
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let first: Option<(*const (), u64)> = {
        let st = mm.st.lock();
        st.vmas.find(addr).and_then(|v| match &v.backing {
            Backing::File { m, off } if v.start == addr && *off == 0 => {
                ShmAttach::of(m).map(|a| (Arc::as_ptr(m) as *const (), a.mem.size()))
            }
            _ => None,
        })
    };
    let (which, size) = first.ok_or(Errno::EINVAL)?;
    let end = addr.saturating_add(size);
    let removed = mm.unmap_areas(addr, end, |v| match &v.backing {
        Backing::File { m, off } => {
            Arc::as_ptr(m) as *const () == which && v.start >= addr && *off == v.start - addr
        }
        Backing::Anon => false,
    });
    // Released here, not when the last reference drops: the caller may
    // look at shm_nattch right after.
    // (Unless pieces of it remain elsewhere, moved by mremap.)
    if let Some(Backing::File { m, .. }) = removed.first().map(|v| &v.backing) {
        if Arc::strong_count(m) == removed.len() {
            if let Some(a) = ShmAttach::of(m) {
                a.release(None);
            }
        }
    }
    Ok(())
}

/// Exit (or exec) of the last user of `mm`: every attach goes now, before
/// the parent can learn of the exit, as Linux's exit_mm.
pub fn exit_mm(mm: &Arc<Mm>, pid: i32) {
    if Arc::strong_count(mm) != 1 {
        return;
    }
    let removed = mm.unmap_areas(0, u64::MAX, |v| match &v.backing {
        Backing::File { m, .. } => ShmAttach::of(m).is_some(),
        Backing::Anon => false,
    });
    for v in &removed {
        if let Backing::File { m, .. } = &v.backing {
            if let Some(a) = ShmAttach::of(m) {
                a.release(Some(pid));
            }
        }
    }
}
