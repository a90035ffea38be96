//! Copy-up: giving a lower-only object an upper copy before it changes.
//! Directories above it are copied up first (recursively, up to the root,
//! which always has one). Data is copied through the layers' own file
//! operations, so any lower filesystem works; runs of zeros are skipped,
//! keeping sparse files sparse. Extended attributes come along, as Linux's
//! overlayfs copies them (those the upper layer cannot hold are dropped).

use super::{NsGuard, OverlayInode};
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::File;
use crate::vfs::inode::{Attr, FileType, Inode, NewNode, Owner, SetAttr, TimeSet};
use abi::Errno;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bytes copied per read/write.
const COPY_CHUNK: usize = 64 << 10;

/// Suffix for temporary names of detached copy-ups.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

impl OverlayInode {
    /// The upper object, making it if needed. `keep`: copy at most this many
    /// bytes of data (a truncate or O_TRUNC is about to follow). `_ns` is
    /// the proof that the caller serialises tree changes.
    pub(super) fn copy_up(
        &self,
        _ns: &NsGuard,
        keep: Option<u64>,
    ) -> Result<Arc<dyn Inode>, Errno> {
        let lower = {
            let st = self.st.lock();
            if let Some(u) = &st.upper {
                return Ok(u.clone());
            }
            st.lower.clone().ok_or(Errno::EIO)?
        };
        let la = lower.attr()?;
        let upper = match self.origin()? {
            Some((parent, name)) => {
                let dir = parent.copy_up(_ns, None)?;
                copy_object(&dir, &name, &lower, &la, keep)?
            }
            None => {
                // Removed from the tree but still open: make the copy under
                // a temporary name in the upper root and unlink it at once.
                let dir = self.fs.upper_root.clone();
                let (name, u) = loop {
                    let name = format!(
                        ".rvisor-copyup.{}.{}",
                        self.ino,
                        TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
                    )
                    .into_bytes();
                    match copy_object(&dir, &name, &lower, &la, keep) {
                        Err(Errno::EEXIST) => continue,
                        r => break (name, r?),
                    }
                };
                dir.unlink(&name, la.is_dir())?;
                u
            }
        };
        self.st.lock().upper = Some(upper.clone());
        Ok(upper)
    }
}

/// Create `name` in the upper directory `dir` as a copy of `lower`.
fn copy_object(
    dir: &Arc<dyn Inode>,
    name: &[u8],
    lower: &Arc<dyn Inode>,
    la: &Attr,
    keep: Option<u64>,
) -> Result<Arc<dyn Inode>, Errno> {
    let perm = la.mode & 0o7777;
    let kind = la.file_type();
    let node = match kind {
        FileType::Directory => NewNode::Dir { mode: perm },
        FileType::Regular => NewNode::File { mode: perm },
        FileType::Symlink => NewNode::Symlink {
            target: lower.readlink()?,
        },
        _ => NewNode::Node {
            mode: la.mode,
            rdev: la.rdev,
        },
    };
    let upper = dir.create(
        name,
        &node,
        Owner {
            uid: la.uid,
            gid: la.gid,
        },
    )?;
    let filled = (|| {
        copy_xattrs(lower, &upper)?;
        if kind == FileType::Regular {
            let len = keep.map_or(la.size, |k| k.min(la.size));
            copy_data(lower, &upper, len)?;
            upper.setattr(&SetAttr {
                size: Some(len),
                ..SetAttr::default()
            })?;
        }
        let times = SetAttr {
            atime: Some(TimeSet::At(la.atime)),
            mtime: Some(TimeSet::At(la.mtime)),
            ..SetAttr::default()
        };
        if kind == FileType::Symlink {
            // Times of a symlink are a nicety some filesystems refuse.
            let _ = upper.setattr(&times);
            return Ok(());
        }
        // Set the mode last: create may have dropped set-id bits.
        upper.setattr(&SetAttr {
            mode: Some(perm),
            ..times
        })
    })();
    if let Err(e) = filled {
        let _ = dir.unlink(name, kind == FileType::Directory);
        return Err(e);
    }
    Ok(upper)
}

/// Give `upper` every extended attribute of `lower`.
pub(super) fn copy_xattrs(lower: &Arc<dyn Inode>, upper: &Arc<dyn Inode>) -> Result<(), Errno> {
    for name in lower.listxattr()? {
        let value = match lower.getxattr(&name) {
            Ok(v) => v,
            // Gone since the listing, or not readable after all.
            Err(Errno::ENODATA) | Err(Errno::EOPNOTSUPP) => continue,
            Err(e) => return Err(e),
        };
        match upper.setxattr(&name, &value, 0) {
            Ok(()) | Err(Errno::EOPNOTSUPP) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Copy the first `len` bytes of `lower` into `upper` (an empty file).
fn copy_data(lower: &Arc<dyn Inode>, upper: &Arc<dyn Inode>, len: u64) -> Result<(), Errno> {
    if len == 0 {
        return Ok(());
    }
    let rd = libc::O_RDONLY as u32;
    let wr = libc::O_WRONLY as u32;
    let src = File::new(lower.open(lower, rd)?, None, Some(lower.clone()), rd);
    let dst = File::new(upper.open(upper, wr)?, None, Some(upper.clone()), wr);
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut off = 0u64;
    while off < len {
        let want = (len - off).min(COPY_CHUNK as u64) as usize;
        let mut d = IoDst::buf(&mut buf[..want]);
        let n = src.ops.read(&src, &mut d, off as i64)? as usize;
        if n == 0 {
            break; // the lower file shrank; the size set afterwards pads with zeros
        }
        if buf[..n].iter().any(|&b| b != 0) {
            let mut s = IoSrc::buf(&buf[..n]);
            let mut done = 0usize;
            while done < n {
                let w = dst.ops.write(&dst, &mut s, (off + done as u64) as i64)? as usize;
                if w == 0 {
                    return Err(Errno::EIO);
                }
                done += w;
            }
        }
        off += n as u64;
    }
    Ok(())
}
