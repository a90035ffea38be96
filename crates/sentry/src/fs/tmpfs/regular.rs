//! tmpfs regular files: data in MemoryFile frames, given out in 64 KiB
//! chunks on first write, so a sparse file costs only what was written.
//!
//! Invariant: allocated bytes at or beyond the page holding end of file are
//! zero (chunks are allocated zeroed and writes stop at end of file). Only
//! the tail of the last page can be dirtied, through a shared mapping; it is
//! zeroed whenever the file grows over it.

use super::Kind;
use super::Node;
use super::Quota;
use crate::mm::{IoDst, IoSrc, Mappable};
use crate::vfs::file::{File, FileOps};
use abi::{page_down, Errno, PAGE_SIZE};
use memory::MemoryFile;
use parking_lot::RwLock;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Frames are given to a file this many bytes at a time.
pub(super) const CHUNK: u64 = 64 * 1024;

/// Largest file size (Linux's MAX_LFS_FILESIZE on 64-bit).
pub(super) const MAX_FILE_SIZE: u64 = i64::MAX as u64;

pub(super) struct Regular {
    /// Readers share it; writes, truncation and mapping (which may
    /// allocate) take it exclusively.
    data: RwLock<Data>,
}

#[derive(Default)]
struct Data {
    size: u64,
    /// File offset → `(frame, len)`: page-aligned runs of the file backed by
    /// contiguous frames, non-overlapping. The file holds one reference to
    /// every frame here.
    extents: BTreeMap<u64, (u64, u64)>,
}

/// Part of a file range: `(offset, len, frame)`, `frame` None for a hole.
type Run = (u64, u64, Option<u64>);

fn chunk_down(x: u64) -> u64 {
    x & !(CHUNK - 1)
}

/// The range `Data::fill` gives frames to: whole chunks, or whole pages
/// when the instance has a size limit (so that the limit counts pages, as
/// Linux's does).
fn fill_bounds(quota: &Quota, start: u64, end: u64) -> (u64, u64) {
    if quota.limited() {
        (page_down(start), page_up(end))
    } else {
        (chunk_down(start), chunk_down(end.saturating_add(CHUNK - 1)))
    }
}

/// Round up to a page; file offsets here stay below `MAX_FILE_SIZE + CHUNK`,
/// so this cannot overflow.
fn page_up(x: u64) -> u64 {
    x.saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

impl Data {
    /// The data and holes covering `[start, end)`, in order.
    fn runs(&self, start: u64, end: u64) -> Vec<Run> {
        let mut out = Vec::new();
        if start >= end {
            return out;
        }
        let first = match self.extents.range(..=start).next_back() {
            Some((&s, &(_, l))) if s + l > start => s,
            _ => start,
        };
        let mut at = start;
        for (&s, &(f, l)) in self.extents.range(first..end) {
            if s > at {
                out.push((at, s - at, None));
                at = s;
            }
            let e = (s + l).min(end);
            if e > at {
                out.push((at, e - at, Some(f + (at - s))));
                at = e;
            }
        }
        if at < end {
            out.push((at, end - at, None));
        }
        out
    }

    fn insert(&mut self, off: u64, frame: u64, len: u64) {
        let (mut off, mut frame, mut len) = (off, frame, len);
        // Merge with neighbours that continue both the file and the frames.
        if let Some((&ps, &(pf, pl))) = self.extents.range(..off).next_back() {
            if ps + pl == off && pf + pl == frame {
                self.extents.remove(&ps);
                off = ps;
                frame = pf;
                len += pl;
            }
        }
        if let Some(&(nf, nl)) = self.extents.get(&(off + len)) {
            if frame + len == nf {
                self.extents.remove(&(off + len));
                len += nl;
            }
        }
        self.extents.insert(off, (frame, len));
    }

    /// Give frames to every page of `[start, end)`, a chunk at a time (a
    /// page at a time when the instance has a size limit, so that the
    /// limit counts pages, as Linux's does).
    fn fill(&mut self, mf: &MemoryFile, quota: &Quota, start: u64, end: u64) -> Result<(), Errno> {
        let (cs, ce) = fill_bounds(quota, start, end);
        for (mut off, mut len, frame) in self.runs(cs, ce) {
            if frame.is_some() {
                continue;
            }
            while len > 0 {
                // Under a size limit, page by page: a write fills what fits.
                let step = if quota.limited() { PAGE_SIZE } else { CHUNK };
                let n = len.min(step - off % step);
                quota.charge(n)?;
                let f = match mf.allocate(n) {
                    Ok(f) => f,
                    Err(e) => {
                        quota.uncharge(n);
                        return Err(e);
                    }
                };
                self.insert(off, f, n);
                off += n;
                len -= n;
            }
        }
        Ok(())
    }

    /// Bytes `fill(start, end)` would allocate.
    fn unfilled(&self, quota: &Quota, start: u64, end: u64) -> u64 {
        let (cs, ce) = fill_bounds(quota, start, end);
        self.runs(cs, ce)
            .iter()
            .filter(|r| r.2.is_none())
            .map(|r| r.1)
            .sum()
    }

    /// Drop the file's frames for the pages of `[from, to)` (page aligned),
    /// splitting the extents that straddle either edge.
    fn release_range(&mut self, mf: &MemoryFile, quota: &Quota, from: u64, to: u64) {
        let first = match self.extents.range(..from).next_back() {
            Some((&s, &(_, l))) if s + l > from => s,
            _ => from,
        };
        let hit: Vec<(u64, (u64, u64))> = self
            .extents
            .range(first..to)
            .map(|(&s, &v)| (s, v))
            .collect();
        for (s, (f, l)) in hit {
            self.extents.remove(&s);
            let e = s + l;
            if s < from {
                self.extents.insert(s, (f, from - s));
            }
            if e > to {
                self.extents.insert(to, (f + (to - s), e - to));
            }
            let (cs, ce) = (s.max(from), e.min(to));
            mf.decref(f + (cs - s), ce - cs);
            quota.uncharge(ce - cs);
        }
    }

    /// FALLOC_FL_PUNCH_HOLE: `[start, end)` reads as zeros; whole pages
    /// give their frames back, partial ones are zeroed.
    fn punch(&mut self, mf: &MemoryFile, quota: &Quota, start: u64, end: u64) -> Result<(), Errno> {
        let (ps, pe) = (page_up(start), page_down(end));
        if ps >= pe {
            return self.zero(mf, start, end);
        }
        self.zero(mf, start, ps)?;
        self.release_range(mf, quota, ps, pe);
        self.zero(mf, pe, end)
    }

    /// Drop the file's frames for pages at or beyond `from` (page aligned).
    fn release_from(&mut self, mf: &MemoryFile, quota: &Quota, from: u64) {
        if let Some((&s, &(f, l))) = self.extents.range(..from).next_back() {
            if s + l > from {
                let keep = from - s;
                self.extents.insert(s, (f, keep));
                mf.decref(f + keep, l - keep);
                quota.uncharge(l - keep);
            }
        }
        for (_, (f, l)) in self.extents.split_off(&from) {
            mf.decref(f, l);
            quota.uncharge(l);
        }
    }

    /// Zero the allocated parts of `[start, end)`.
    fn zero(&self, mf: &MemoryFile, start: u64, end: u64) -> Result<(), Errno> {
        for (_, len, frame) in self.runs(start, end) {
            if let Some(f) = frame {
                mf.zero(f, len)?;
            }
        }
        Ok(())
    }

    /// The file grows from `size` to at least `to`: clear what a shared
    /// mapping may have left past the old end in the last page.
    fn grow_over_tail(&self, mf: &MemoryFile, to: u64) -> Result<(), Errno> {
        if to > self.size && !self.size.is_multiple_of(PAGE_SIZE) {
            self.zero(mf, self.size, page_up(self.size).min(to))?;
        }
        Ok(())
    }

    /// Bytes of frames below the end of the file's last page: what st_blocks
    /// counts (chunk slack past end of file is not the file's).
    fn allocated_in_file(&self) -> u64 {
        let eof = page_up(self.size);
        self.extents
            .range(..eof)
            .map(|(&s, &(_, l))| (s + l).min(eof) - s)
            .sum()
    }
}

impl Regular {
    pub(super) fn new() -> Regular {
        Regular {
            data: RwLock::new(Data::default()),
        }
    }

    /// st_size and the bytes st_blocks reports.
    pub(super) fn size_and_blocks(&self) -> (u64, u64) {
        let d = self.data.read();
        (d.size, d.allocated_in_file())
    }

    pub(super) fn size(&self) -> u64 {
        self.data.read().size
    }

    pub(super) fn truncate(&self, mf: &MemoryFile, quota: &Quota, size: u64) -> Result<(), Errno> {
        if size > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut d = self.data.write();
        if size < d.size {
            let keep = page_up(size);
            d.release_from(mf, quota, keep);
            d.zero(mf, size, keep)?;
        } else {
            d.grow_over_tail(mf, size)?;
        }
        d.size = size;
        Ok(())
    }

    /// fallocate(2): PUNCH_HOLE (always with KEEP_SIZE) frees the range;
    /// otherwise every page of it gets a frame now and, without KEEP_SIZE,
    /// the file grows to cover it. `free`: bytes the instance may still take.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fallocate(
        &self,
        mf: &MemoryFile,
        quota: &Quota,
        punch: bool,
        keep_size: bool,
        off: u64,
        len: u64,
        free: u64,
    ) -> Result<(), Errno> {
        let end = off.checked_add(len).ok_or(Errno::EFBIG)?;
        if end > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let mut d = self.data.write();
        if punch {
            return d.punch(mf, quota, off, end);
        }
        let (start, stop) = (page_down(off), page_up(end));
        // Refuse what cannot fit before allocating any of it.
        if d.unfilled(quota, start, stop) > free {
            return Err(Errno::ENOSPC);
        }
        if !keep_size {
            d.grow_over_tail(mf, end)?;
        }
        d.fill(mf, quota, start, stop).map_err(|e| {
            if e == Errno::ENOMEM {
                Errno::ENOSPC
            } else {
                e
            }
        })?;
        if !keep_size && end > d.size {
            d.size = end;
        }
        Ok(())
    }

    pub(super) fn release_all(&mut self, mf: &MemoryFile, quota: &Quota) {
        self.data.get_mut().release_from(mf, quota, 0);
    }

    pub(super) fn read(&self, mf: &MemoryFile, dst: &mut IoDst, off: u64) -> Result<u64, Errno> {
        let d = self.data.read();
        if off >= d.size {
            return Ok(0);
        }
        let end = off.saturating_add(dst.remaining()).min(d.size);
        let mut done = 0u64;
        for (_, len, frame) in d.runs(off, end) {
            let r = match frame {
                Some(f) => dst.put_frames(mf, f, len),
                None => dst.put_zeros(len),
            };
            let n = match r {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            done += n;
            if n < len {
                break;
            }
        }
        Ok(done)
    }

    pub(super) fn write(
        &self,
        mf: &MemoryFile,
        quota: &Quota,
        src: &mut IoSrc,
        off: u64,
    ) -> Result<u64, Errno> {
        let want = src.remaining();
        if want == 0 {
            return Ok(0);
        }
        if off >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let end = off + want.min(MAX_FILE_SIZE - off);
        let mut d = self.data.write();
        d.grow_over_tail(mf, off)?;
        let mut at = off;
        let mut err = None;
        'chunks: while at < end {
            let seg_end = (chunk_down(at) + CHUNK).min(end);
            // A fill cut short (a full instance) still wrote what it
            // could give frames to.
            let filled = d.fill(mf, quota, page_down(at), page_up(seg_end));
            for (_, len, frame) in d.runs(at, seg_end) {
                let Some(f) = frame else {
                    err = Some(filled.err().unwrap_or(Errno::EIO));
                    break 'chunks;
                };
                match src.take_into_frames(mf, f, len) {
                    Ok(n) => {
                        at += n;
                        if n < len {
                            break 'chunks;
                        }
                    }
                    Err(e) => {
                        err = Some(e);
                        break 'chunks;
                    }
                }
            }
        }
        if let (Some(e), true) = (err, at == off) {
            // A full MemoryFile is a full tmpfs.
            return Err(if e == Errno::ENOMEM { Errno::ENOSPC } else { e });
        }
        if at > d.size {
            d.size = at;
        }
        Ok(at - off)
    }

    fn seek_data(&self, mf: &MemoryFile, off: u64, hole: bool) -> Result<u64, Errno> {
        let d = self.data.read();
        if off >= d.size {
            return Err(Errno::ENXIO);
        }
        for (o, l, frame) in d.runs(off, d.size) {
            match frame {
                None if hole => return Ok(o),
                None => {}
                Some(f) => {
                    // Pages of a chunk that were never written are holes too, as in Linux's tmpfs.
                    let first = page_down(o);
                    let base = f - (o - first);
                    let present = mf.present(base, page_up(o + l) - first);
                    for (j, here) in present.iter().enumerate() {
                        if *here != hole {
                            let at = (first + j as u64 * abi::PAGE_SIZE).max(o);
                            return Ok(at.min(d.size));
                        }
                    }
                }
            }
        }
        // Past the last data is the implicit hole at end of file.
        if hole {
            Ok(d.size)
        } else {
            Err(Errno::ENXIO)
        }
    }

    fn get_frames(
        &self,
        mf: &MemoryFile,
        quota: &Quota,
        off: u64,
        len: u64,
    ) -> Result<Vec<(u64, u64)>, Errno> {
        let mut d = self.data.write();
        let eof = page_up(d.size);
        let start = page_down(off);
        if start >= eof {
            return Ok(Vec::new());
        }
        let end = page_up(start.saturating_add(len).min(eof));
        d.fill(mf, quota, start, end)?;
        let mut out = Vec::new();
        for (_, l, frame) in d.runs(start, end) {
            let f = frame.ok_or(Errno::EIO)?;
            mf.incref(f, l);
            out.push((f, l));
        }
        Ok(out)
    }
}

impl Node {
    pub(super) fn regular(&self) -> Result<&Regular, Errno> {
        match &self.kind {
            Kind::Regular(r) => Ok(r),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// An open tmpfs regular file.
pub(super) struct RegularFile {
    pub(super) node: Arc<Node>,
}

impl FileOps for RegularFile {
    fn supports_direct(&self) -> bool {
        true
    }

    fn fsync(&self, _f: &File) -> Result<(), Errno> {
        Ok(())
    }

    fn read(&self, f: &File, dst: &mut IoDst, off: i64) -> Result<u64, Errno> {
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        let n = self.node.regular()?.read(&self.node.fs.mf, dst, off)?;
        self.node.touch_atime(f.flags());
        Ok(n)
    }

    fn write(&self, _f: &File, src: &mut IoSrc, off: i64) -> Result<u64, Errno> {
        let off = u64::try_from(off).map_err(|_| Errno::EINVAL)?;
        let fs = &self.node.fs;
        // memfd seals: F_SEAL_WRITE/FUTURE_WRITE/GROW (seals.rs).
        super::seals::check_write(&self.node, off, src.remaining())?;
        let n = self.node.regular()?.write(&fs.mf, &fs.quota, src, off)?;
        if n > 0 {
            self.node.touch_mtime_ctime();
        }
        Ok(n)
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        Some(self.node.clone())
    }

    fn fallocate(&self, _f: &File, mode: u32, off: u64, len: u64) -> Result<(), Errno> {
        use crate::vfs::range::{FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE};
        // Allocation and hole punching only, as Linux's shmem.
        if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let fs = &self.node.fs;
        // memfd seals: no punching under a write seal, no growth under F_SEAL_GROW (seals.rs).
        super::seals::check_fallocate(
            &self.node,
            mode & FALLOC_FL_PUNCH_HOLE != 0,
            off.saturating_add(len),
        )?;
        self.node.regular()?.fallocate(
            &fs.mf,
            &fs.quota,
            mode & FALLOC_FL_PUNCH_HOLE != 0,
            mode & FALLOC_FL_KEEP_SIZE != 0,
            off,
            len,
            fs.free_bytes(),
        )?;
        self.node.touch_mtime_ctime();
        Ok(())
    }

    fn seek_data(&self, _f: &File, off: i64, _size: i64, hole: bool) -> Result<i64, Errno> {
        let off = u64::try_from(off).map_err(|_| Errno::ENXIO)?;
        let r = self
            .node
            .regular()?
            .seek_data(&self.node.fs.mf, off, hole)?;
        i64::try_from(r).map_err(|_| Errno::EOVERFLOW)
    }
}

/// A tmpfs file maps its own frames: shared mappings write the file itself,
/// private ones start from its pages and copy on write. Holes get frames
/// either way, since both kinds of mapping may touch them.
impl Mappable for Node {
    fn get_frames(&self, off: u64, len: u64, _write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        self.regular()?
            .get_frames(&self.fs.mf, &self.fs.quota, off, len)
    }

    fn size(&self) -> u64 {
        self.regular().map(|r| r.size()).unwrap_or(0)
    }

    fn describe(&self) -> (u64, u64, String) {
        (self.fs.dev, self.ino, String::new())
    }
}
