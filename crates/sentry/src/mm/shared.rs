//! Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS, shared /dev/zero):
//! an unnamed object whose frames all mappers share, kept alive by them.

use super::Mappable;
use abi::{Errno, PAGE_SIZE};
use memory::MemoryFile;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Frames are allocated in chunks of this size.
const CHUNK: u64 = 64 << 10;

pub struct SharedAnon {
    mf: Arc<MemoryFile>,
    size: u64,
    /// Chunk index -> first frame of the chunk.
    chunks: Mutex<BTreeMap<u64, u64>>,
}

impl SharedAnon {
    pub fn new(mf: Arc<MemoryFile>, size: u64) -> Arc<SharedAnon> {
        Arc::new(SharedAnon {
            mf,
            size,
            chunks: Mutex::new(BTreeMap::new()),
        })
    }
}

impl Drop for SharedAnon {
    fn drop(&mut self) {
        for (_, f) in std::mem::take(self.chunks.get_mut()) {
            self.mf.decref(f, CHUNK);
        }
    }
}

impl Mappable for SharedAnon {
    fn get_frames(&self, off: u64, len: u64, _write: bool) -> Result<Vec<(u64, u64)>, Errno> {
        let end = off
            .saturating_add(len)
            .min(abi::page_up(self.size).unwrap_or(self.size));
        let mut out: Vec<(u64, u64)> = Vec::new();
        let mut chunks = self.chunks.lock();
        let mut at = off;
        while at < end {
            let idx = at / CHUNK;
            let base = match chunks.get(&idx) {
                Some(&f) => f,
                None => {
                    let f = self.mf.allocate(CHUNK)?;
                    chunks.insert(idx, f);
                    f
                }
            };
            let in_chunk = at % CHUNK;
            let n = (CHUNK - in_chunk).min(end - at);
            let frame = base + in_chunk;
            self.mf.incref(frame, n);
            match out.last_mut() {
                Some((f, l)) if *f + *l == frame => *l += n,
                _ => out.push((frame, n)),
            }
            at += n;
        }
        debug_assert!(out
            .iter()
            .all(|(f, l)| f % PAGE_SIZE == 0 && l % PAGE_SIZE == 0));
        Ok(out)
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn describe(&self) -> (u64, u64, String) {
        (0, 0, "/dev/zero (deleted)".into())
    }
}
