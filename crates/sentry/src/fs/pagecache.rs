//! A page cache for files whose data lives outside the MemoryFile (host
//! files served by the Gofer): file contents are copied into MemoryFile
//! frames in 64 KiB chunks on first use, so they can be mapped into
//! application address spaces like any other memory.
//!
//! A chunk is read from the host before it is published in the map, so a
//! half-filled chunk is never handed out; two threads that miss the same
//! chunk at once both read it and the loser gives its frames back. No lock
//! is held during host I/O.

use crate::mm::Mappable;
use abi::{Errno, PAGE_SIZE};
use memory::MemoryFile;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

/// Bytes per cache chunk (one host read fills one chunk).
pub const CHUNK_SIZE: u64 = 64 << 10;

#[derive(Clone, Copy, Debug)]
struct Chunk {
    frame: u64,
    /// Bytes of frames held (a page multiple; short for the last chunk).
    len: u64,
}

struct State {
    size: u64,
    chunks: HashMap<u64, Chunk>,
}

pub struct PageCache {
    mf: Arc<MemoryFile>,
    /// Host fd the data is read from (positional reads only, so it can be
    /// shared with open files).
    fd: Arc<OwnedFd>,
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
            id,
            st: Mutex::new(State {
                size,
                chunks: HashMap::new(),
            }),
        }
    }

    /// The file changed size (revalidation found it, or a write through the
    /// host fd). Chunks at or past the smaller end are dropped: they may
    /// hold stale zeros past the old end or data past the new one.
    pub fn set_size(&self, size: u64) {
        let mut st = self.st.lock();
        let keep_below = st.size.min(size) / CHUNK_SIZE;
        st.size = size;
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
        let freed: Vec<Chunk> = self.st.lock().chunks.drain().map(|(_, c)| c).collect();
        for c in freed {
            self.mf.decref(c.frame, c.len);
        }
    }

    /// Bytes of MemoryFile frames the cache holds.
    pub fn cached_bytes(&self) -> u64 {
        self.st.lock().chunks.values().map(|c| c.len).sum()
    }

    /// Read chunk `idx` of a file of `size` bytes into fresh frames.
    fn fill(&self, idx: u64, size: u64) -> Result<Chunk, Errno> {
        let start = idx * CHUNK_SIZE;
        let len = CHUNK_SIZE.min(page_up(size) - start);
        let frame = self.mf.allocate(len)?;
        let want = len.min(size - start);
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
                Err(e) => {
                    self.mf.decref(frame, len);
                    return Err(e);
                }
            }
        }
        Ok(Chunk { frame, len })
    }
}

impl Mappable for PageCache {
    fn get_frames(&self, off: u64, len: u64, _write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        // A shared writable mapping needs a writable open, which a cached
        // (read-only) file never grants, so `write` needs no special case.
        loop {
            let size = self.st.lock().size;
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
                if st.size != size || st.chunks.contains_key(&idx) {
                    drop(st);
                    self.mf.decref(c.frame, c.len);
                } else {
                    st.chunks.insert(idx, c);
                }
            }
            let st = self.st.lock();
            if st.size != size || (first..=last).any(|i| !st.chunks.contains_key(&i)) {
                // Resized or invalidated meanwhile: start over.
                continue;
            }
            let mut runs: Vec<(u64, u64)> = Vec::new();
            for idx in first..=last {
                let c = st.chunks[&idx];
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
