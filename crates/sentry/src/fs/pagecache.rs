//! A page cache for files whose data lives outside the MemoryFile (host
//! files served by the Gofer): file contents are copied into MemoryFile
//! frames in 64 KiB chunks on first use, so they can be mapped into
//! application address spaces like any other memory (the stubs can map
//! nothing else).
//!
//! A chunk is read from the host before it is published in the map, so a
//! half-filled chunk is never handed out; two threads that miss the same
//! chunk at once both read it and the loser gives its frames back. No lock
//! is held during host I/O; a fill that raced with a change of the file
//! (a write, a resize, an invalidation) is thrown away and redone.
//!
//! Shared writable mappings (files opened for writing on a writable Gofer
//! tree) write into the cached frames themselves. Chunks handed out for
//! writing are marked, and written back to the host file through the
//! writer fd ([`PageCache::writeback`]) on msync, on fsync, when the file
//! is closed, when the last such mapping goes away, and before any read or
//! write through the file itself, so `read(2)` sees what the mapping wrote
//! and the mapping sees what `write(2)` wrote ([`PageCache::refresh`]).

use crate::mm::Mappable;
use abi::{Errno, PAGE_SIZE};
use memory::MemoryFile;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Bytes per cache chunk (one host read fills one chunk).
pub const CHUNK_SIZE: u64 = 64 << 10;

#[derive(Clone, Copy, Debug)]
struct Chunk {
    frame: u64,
    /// Bytes of frames held (a page multiple; short for the last chunk).
    len: u64,
    /// Handed out to a shared writable mapping: may differ from the host.
    write_mapped: bool,
}

struct State {
    size: u64,
    chunks: HashMap<u64, Chunk>,
    /// Bumped by every change of the file or of the cached data, so a fill
    /// that read the host before the change is not published after it.
    generation: u64,
}

pub struct PageCache {
    mf: Arc<MemoryFile>,
    /// Host fd the data is read from (positional reads only, so it can be
    /// shared with open files).
    fd: Arc<OwnedFd>,
    /// Host fd write-back goes to (set once the file is opened for writing).
    writer: Mutex<Option<Arc<OwnedFd>>>,
    /// Live shared mappings that may write (see [`PageCache::shared_writer`]).
    writers: AtomicUsize,
    /// (dev, ino, path) for /proc/PID/maps.
    id: (u64, u64, String),
    st: Mutex<State>,
}

impl std::fmt::Debug for PageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PageCache({})", self.id.2)
    }
}

fn page_up(x: u64) -> u64 {
    x.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

impl PageCache {
    /// A cache of the `size` bytes readable from `fd`; `id` is (dev, ino, path).
    pub fn new(
        mf: Arc<MemoryFile>,
        fd: Arc<OwnedFd>,
        size: u64,
        id: (u64, u64, String),
    ) -> PageCache {
        PageCache {
            mf,
            fd,
            writer: Mutex::new(None),
            writers: AtomicUsize::new(0),
            id,
            st: Mutex::new(State {
                size,
                chunks: HashMap::new(),
                generation: 0,
            }),
        }
    }

    /// The fd write-back goes to (a writable open of the same file).
    pub fn set_writer(&self, fd: Arc<OwnedFd>) {
        let mut w = self.writer.lock();
        if w.is_none() {
            *w = Some(fd);
        }
    }

    /// The file changed size (revalidation found it, or a write through the
    /// host fd). Chunks at or past the smaller end are dropped: they may
    /// hold stale zeros past the old end or data past the new one.
    pub fn set_size(&self, size: u64) {
        let mut st = self.st.lock();
        if st.size == size {
            return;
        }
        let keep_below = st.size.min(size) / CHUNK_SIZE;
        st.size = size;
        st.generation += 1;
        let gone: Vec<u64> = st
            .chunks
            .keys()
            .copied()
            .filter(|&i| i >= keep_below)
            .collect();
        let freed: Vec<Chunk> = gone.iter().filter_map(|i| st.chunks.remove(i)).collect();
        drop(st);
        for c in freed {
            self.mf.decref(c.frame, c.len);
        }
    }

    /// Forget every cached chunk (the file changed on the host). Frames
    /// already mapped stay valid for their mappers.
    pub fn invalidate(&self) {
        let freed: Vec<Chunk> = {
            let mut st = self.st.lock();
            st.generation += 1;
            st.chunks.drain().map(|(_, c)| c).collect()
        };
        for c in freed {
            self.mf.decref(c.frame, c.len);
        }
    }

    /// Bytes of MemoryFile frames the cache holds.
    pub fn cached_bytes(&self) -> u64 {
        self.st.lock().chunks.values().map(|c| c.len).sum()
    }

    /// Whether no chunk is cached (reads and writes can go straight to the host).
    pub fn is_empty(&self) -> bool {
        self.st.lock().chunks.is_empty()
    }

    /// Whether some chunk may hold data a shared mapping wrote.
    pub fn has_write_mapped(&self) -> bool {
        self.st.lock().chunks.values().any(|c| c.write_mapped)
    }

    /// Writes every chunk a shared mapping may have changed back to the
    /// host file.
    pub fn writeback(&self) -> Result<(), Errno> {
        let (size, dirty) = {
            let st = self.st.lock();
            let dirty: Vec<(u64, Chunk)> = st
                .chunks
                .iter()
                .filter(|(_, c)| c.write_mapped)
                .map(|(&i, &c)| (i, c))
                .collect();
            for (_, c) in &dirty {
                // Keep the frames alive while the lock is dropped.
                self.mf.incref(c.frame, c.len);
            }
            (st.size, dirty)
        };
        if dirty.is_empty() {
            return Ok(());
        }
        let writer = self.writer.lock().clone();
        let mut result = Ok(());
        for (idx, c) in &dirty {
            let start = idx * CHUNK_SIZE;
            let want = c.len.min(size.saturating_sub(start));
            if let (Some(w), true) = (&writer, result.is_ok()) {
                result = self.write_out(w, c.frame, start, want);
            }
            self.mf.decref(c.frame, c.len);
        }
        match writer {
            Some(_) => result,
            // Mapped for writing without a writable open: cannot happen
            // (mmap refuses), but never pretend the data reached the host.
            None => Err(Errno::EIO),
        }
    }

    fn write_out(&self, w: &OwnedFd, frame: u64, start: u64, want: u64) -> Result<(), Errno> {
        let mut done = 0u64;
        while done < want {
            let r = self.mf.write_to_fd(
                w.as_raw_fd(),
                Some((start + done) as i64),
                &[(frame + done, want - done)],
            );
            match r {
                Ok(0) => return Err(Errno::EIO),
                Ok(n) => done += n as u64,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Re-reads the cached chunks overlapping `[off, off + len)` from the
    /// host, in place, so mappings see data written through the host fd.
    /// Call [`PageCache::writeback`] first if [`has_write_mapped`].
    ///
    /// [`has_write_mapped`]: PageCache::has_write_mapped
    pub fn refresh(&self, off: u64, len: u64) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        let (size, hit) = {
            let mut st = self.st.lock();
            st.generation += 1;
            let (first, last) = (off / CHUNK_SIZE, (off.saturating_add(len) - 1) / CHUNK_SIZE);
            let hit: Vec<(u64, Chunk)> = (first..=last)
                .filter_map(|i| st.chunks.get(&i).map(|c| (i, *c)))
                .collect();
            for (_, c) in &hit {
                self.mf.incref(c.frame, c.len);
            }
            (st.size, hit)
        };
        let mut result = Ok(());
        for (idx, c) in hit {
            if result.is_ok() {
                result = self.read_in(
                    c.frame,
                    idx * CHUNK_SIZE,
                    c.len.min(size.saturating_sub(idx * CHUNK_SIZE)),
                );
            }
            self.mf.decref(c.frame, c.len);
        }
        result
    }

    /// Reads `want` bytes of the host file at `start` into frames at `frame`.
    fn read_in(&self, frame: u64, start: u64, want: u64) -> Result<(), Errno> {
        let mut got = 0u64;
        while got < want {
            let r = self.mf.read_from_fd(
                self.fd.as_raw_fd(),
                Some((start + got) as i64),
                &[(frame + got, want - got)],
            );
            match r {
                Ok(0) => break, // the host file shrank: the rest reads as zeros
                Ok(n) => got += n as u64,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Read chunk `idx` of a file of `size` bytes into fresh frames.
    fn fill(&self, idx: u64, size: u64) -> Result<Chunk, Errno> {
        let start = idx * CHUNK_SIZE;
        let len = CHUNK_SIZE.min(page_up(size) - start);
        let frame = self.mf.allocate(len)?;
        let want = len.min(size - start);
        if let Err(e) = self.read_in(frame, start, want) {
            self.mf.decref(frame, len);
            return Err(e);
        }
        Ok(Chunk {
            frame,
            len,
            write_mapped: false,
        })
    }

    /// A [`Mappable`] for one shared mapping of a file opened for writing:
    /// the same frames, but the mapping's end writes them back.
    pub fn shared_writer(self: &Arc<Self>) -> Arc<dyn Mappable> {
        {
            // Under the state lock, so a last mapping going away and a new
            // one arriving cannot interleave with the marking below.
            let _st = self.st.lock();
            self.writers.fetch_add(1, Ordering::Relaxed);
        }
        Arc::new(SharedWriter {
            cache: self.clone(),
        })
    }
}

impl Mappable for PageCache {
    fn get_frames(&self, off: u64, len: u64, write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        loop {
            let (size, generation) = {
                let st = self.st.lock();
                (st.size, st.generation)
            };
            let end = off.saturating_add(len).min(page_up(size));
            if off >= end {
                return Ok(Vec::new());
            }
            let (first, last) = (off / CHUNK_SIZE, (end - 1) / CHUNK_SIZE);
            let missing: Vec<u64> = {
                let st = self.st.lock();
                (first..=last)
                    .filter(|i| !st.chunks.contains_key(i))
                    .collect()
            };
            for idx in missing {
                let c = self.fill(idx, size)?;
                let mut st = self.st.lock();
                if st.generation != generation || st.chunks.contains_key(&idx) {
                    drop(st);
                    self.mf.decref(c.frame, c.len);
                } else {
                    st.chunks.insert(idx, c);
                }
            }
            let mut st = self.st.lock();
            if st.generation != generation || (first..=last).any(|i| !st.chunks.contains_key(&i)) {
                // Resized, written or invalidated meanwhile: start over.
                continue;
            }
            let mut runs: Vec<(u64, u64)> = Vec::new();
            for idx in first..=last {
                let Some(c) = st.chunks.get_mut(&idx) else {
                    break;
                };
                if write {
                    c.write_mapped = true;
                }
                let c = *c;
                let cstart = idx * CHUNK_SIZE;
                let s = off.max(cstart);
                let e = end.min(cstart + c.len);
                if s >= e {
                    break;
                }
                let frame = c.frame + (s - cstart);
                self.mf.incref(frame, e - s);
                match runs.last_mut() {
                    Some(r) if r.0 + r.1 == frame => r.1 += e - s,
                    _ => runs.push((frame, e - s)),
                }
                if e < cstart + CHUNK_SIZE.min(end - cstart) {
                    break;
                }
            }
            return Ok(runs);
        }
    }

    fn size(&self) -> u64 {
        self.st.lock().size
    }

    fn describe(&self) -> (u64, u64, String) {
        self.id.clone()
    }
}

impl Drop for PageCache {
    fn drop(&mut self) {
        for c in self.st.get_mut().chunks.values() {
            self.mf.decref(c.frame, c.len);
        }
    }
}

/// One shared mapping of a file open for writing. When the mapping is gone
/// (munmap of its last piece, exit, exec), what it wrote goes to the host;
/// when no such mapping is left, no chunk needs writing back any more.
struct SharedWriter {
    cache: Arc<PageCache>,
}

impl Mappable for SharedWriter {
    fn get_frames(&self, off: u64, len: u64, write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        self.cache.get_frames(off, len, write)
    }

    fn size(&self) -> u64 {
        self.cache.size()
    }

    fn describe(&self) -> (u64, u64, String) {
        self.cache.describe()
    }

    fn sync(&self, _off: u64, _len: u64) -> Result<(), Errno> {
        self.cache.writeback()
    }
}

impl Drop for SharedWriter {
    fn drop(&mut self) {
        if let Err(e) = self.cache.writeback() {
            tracing::warn!("write-back of {}: {e}", self.cache.id.2);
        }
        let mut st = self.cache.st.lock();
        if self.cache.writers.fetch_sub(1, Ordering::Relaxed) == 1 {
            // Nothing can write these frames any more: clean again.
            for c in st.chunks.values_mut() {
                c.write_mapped = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::lower::tests::{big_byte, memory_file, sample_tree, BIG_LEN};

    fn cache_of_big() -> (
        crate::fs::lower::tests::TempDir,
        Arc<MemoryFile>,
        Arc<PageCache>,
    ) {
        let t = sample_tree();
        let mf = memory_file();
        let fd = rustix::fs::open(
            t.0.join("big").as_path(),
            rustix::fs::OFlags::RDONLY,
            rustix::fs::Mode::empty(),
        )
        .unwrap();
        let pc = Arc::new(PageCache::new(
            mf.clone(),
            Arc::new(fd),
            BIG_LEN,
            (1, 2, "/big".into()),
        ));
        (t, mf, pc)
    }

    fn release(mf: &MemoryFile, runs: &[(u64, u64)]) {
        for &(f, l) in runs {
            mf.decref(f, l);
        }
    }

    #[test]
    fn frames_hold_file_data_and_stop_at_eof() {
        let (_t, mf, pc) = cache_of_big();
        // Everything: whole pages up to the page holding the last byte.
        let runs = pc.get_frames(0, 1 << 20, false).unwrap();
        let total: u64 = runs.iter().map(|r| r.1).sum();
        assert_eq!(total, BIG_LEN.div_ceil(PAGE_SIZE) * PAGE_SIZE);
        let mut at = 0u64;
        for &(f, l) in &runs {
            let mut buf = vec![0u8; l as usize];
            mf.read(f, &mut buf).unwrap();
            for (i, &b) in buf.iter().enumerate() {
                let off = at + i as u64;
                assert_eq!(
                    b,
                    if off < BIG_LEN { big_byte(off) } else { 0 },
                    "offset {off}"
                );
            }
            at += l;
        }
        // The caller's reference and the cache's.
        assert_eq!(mf.refcount(runs[0].0), 2);
        release(&mf, &runs);
        assert_eq!(mf.refcount(runs[0].0), 1);

        // A range inside the last page, and beyond the end.
        let last = (BIG_LEN / PAGE_SIZE) * PAGE_SIZE;
        let r = pc.get_frames(last, 4 * PAGE_SIZE, false).unwrap();
        assert_eq!(r.iter().map(|r| r.1).sum::<u64>(), PAGE_SIZE);
        release(&mf, &r);
        assert!(pc
            .get_frames(last + PAGE_SIZE, PAGE_SIZE, false)
            .unwrap()
            .is_empty());
        assert!(pc
            .get_frames(!(PAGE_SIZE - 1), PAGE_SIZE, false)
            .unwrap()
            .is_empty());
        assert_eq!(pc.size(), BIG_LEN);
        assert_eq!(pc.describe(), (1, 2, "/big".to_string()));
    }

    #[test]
    fn chunks_are_filled_once_and_freed_with_the_cache() {
        let (_t, mf, pc) = cache_of_big();
        let a = pc.get_frames(PAGE_SIZE, PAGE_SIZE, false).unwrap();
        let b = pc.get_frames(0, 2 * PAGE_SIZE, false).unwrap();
        assert_eq!(a, vec![(b[0].0 + PAGE_SIZE, PAGE_SIZE)]);
        assert_eq!(pc.cached_bytes(), CHUNK_SIZE);
        release(&mf, &a);
        release(&mf, &b);
        // Frames still mapped survive invalidation; the cache's own go.
        let keep = pc.get_frames(0, PAGE_SIZE, false).unwrap();
        pc.invalidate();
        assert_eq!(pc.cached_bytes(), 0);
        assert_eq!(mf.refcount(keep[0].0), 1);
        release(&mf, &keep);
        let _ = pc
            .get_frames(0, 3 * CHUNK_SIZE, false)
            .unwrap()
            .iter()
            .map(|&(f, l)| mf.decref(f, l))
            .count();
        assert!(mf.allocated_bytes() > 0);
        drop(pc);
        assert_eq!(mf.allocated_bytes(), 0);
    }

    #[test]
    fn resizing_drops_chunks_past_the_smaller_end() {
        let (_t, mf, pc) = cache_of_big();
        release(&mf, &pc.get_frames(0, 3 * CHUNK_SIZE, false).unwrap());
        assert_eq!(pc.cached_bytes(), BIG_LEN.div_ceil(PAGE_SIZE) * PAGE_SIZE);
        pc.set_size(CHUNK_SIZE + 10);
        assert_eq!(pc.cached_bytes(), CHUNK_SIZE);
        let r = pc.get_frames(0, 3 * CHUNK_SIZE, false).unwrap();
        assert_eq!(r.iter().map(|r| r.1).sum::<u64>(), CHUNK_SIZE + PAGE_SIZE);
        release(&mf, &r);
    }

    #[test]
    fn racing_fills_publish_one_chunk() {
        let (_t, mf, pc) = cache_of_big();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let pc = pc.clone();
                std::thread::spawn(move || pc.get_frames(0, 3 * CHUNK_SIZE, false).unwrap())
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        for r in &results[1..] {
            assert_eq!(r, &results[0]);
        }
        for r in &results {
            release(&mf, r);
        }
        assert_eq!(mf.allocated_bytes(), pc.cached_bytes());
    }
}
