//! Extended attributes (Txattrwalk, Txattrcreate): reads in every tree,
//! changes only in writable ones.
//!
//! - Txattrwalk binds `newfid` to a snapshot of one attribute's value (or,
//!   for the empty name, of the name list), read back with Tread.
//! - Txattrcreate turns an unopened fid into the writer of one attribute:
//!   Twrites fill the value in order, and Tclunk sets it (or, with
//!   `proto::xattr::REMOVE`, removes the attribute); Rclunk or its Rlerror
//!   is the outcome.
//!
//! Only the `user.` and `trusted.` namespaces are served: `security.` and
//! `system.` (ACLs) belong to the host's security policy, not the
//! sandbox's. Attributes are read and written through a real fd of the
//! file (a directory's, or a regular file reopened read-only by name, as
//! for I/O): Linux refuses xattr calls on O_PATH fds. Other file types have
//! no `user.` attributes, as on Linux; none is served for them.

use crate::host::{self, errno, S_IFDIR, S_IFMT, S_IFREG};
use crate::server::{ok, FidState, Node, OpResult, Open, Server};
use abi::Errno;
use proto::{xattr, Fid, Rmessage};
use rustix::fs::{OFlags, XattrFlags};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// The namespaces the Gofer serves.
const SERVED: [&[u8]; 2] = [b"user.", b"trusted."];

fn served(name: &[u8]) -> bool {
    SERVED
        .iter()
        .any(|p| name.len() > p.len() && name.starts_with(p))
}

/// A name the Gofer passes to the host: a served namespace, no NUL, at
/// most 255 bytes.
fn check_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() || name.len() > 255 {
        return Err(Errno::ERANGE);
    }
    if name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    if !served(name) {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(())
}

/// A fd xattr calls accept, for directories and regular files; None for
/// the other types (which have no served attributes).
fn xattr_fd(n: &Node) -> Result<Option<OwnedFd>, Errno> {
    match n.mode & S_IFMT {
        S_IFDIR => host::open_dir(n.fd.as_fd()).map(Some),
        S_IFREG => {
            let (parent, name) = n.parent.as_ref().ok_or(Errno::EINVAL)?;
            host::reopen(parent.fd.as_fd(), name, OFlags::RDONLY, n.dev, n.ino).map(Some)
        }
        _ => Ok(None),
    }
}

/// The value of `name` (at most `proto::xattr::SIZE_MAX` bytes).
fn get(n: &Node, name: &[u8]) -> Result<Vec<u8>, Errno> {
    let Some(fd) = xattr_fd(n)? else {
        return Err(Errno::ENODATA);
    };
    let mut buf = vec![0u8; xattr::SIZE_MAX as usize];
    let len = rustix::fs::fgetxattr(&fd, name, &mut buf[..]).map_err(errno)?;
    buf.truncate(len);
    Ok(buf)
}

/// The served names, each followed by a NUL.
fn list(n: &Node) -> Result<Vec<u8>, Errno> {
    let Some(fd) = xattr_fd(n)? else {
        return Ok(Vec::new());
    };
    let mut buf = vec![0u8; xattr::SIZE_MAX as usize];
    let len = match rustix::fs::flistxattr(&fd, &mut buf[..]) {
        Ok(len) => len,
        Err(rustix::io::Errno::RANGE) => return Err(Errno::E2BIG),
        Err(e) => return Err(errno(e)),
    };
    let mut out = Vec::new();
    for name in buf[..len.min(buf.len())].split(|&b| b == 0) {
        if served(name) {
            out.extend_from_slice(name);
            out.push(0);
        }
    }
    Ok(out)
}

impl Server {
    pub(crate) fn xattrwalk(&mut self, fid: Fid, newfid: Fid, name: &[u8]) -> OpResult {
        let n = self.node(fid)?;
        if newfid == fid {
            return Err(Errno::EINVAL);
        }
        self.check_new_fid(newfid)?;
        let value = if name.is_empty() {
            list(&n)?
        } else {
            check_name(name)?;
            get(&n, name)?
        };
        let size = value.len() as u64;
        self.fids.insert(
            newfid.0,
            FidState {
                node: n,
                open: Some(Open::XattrRead(value)),
            },
        );
        ok(Rmessage::Xattrwalk { size })
    }

    pub(crate) fn xattrcreate(&mut self, fid: Fid, name: &[u8], size: u64, flags: u32) -> OpResult {
        let f = self.fids.get(&fid.0).ok_or(Errno::EBADF)?;
        if f.open.is_some() {
            return Err(Errno::EBADF);
        }
        if !f.node.tree.writable {
            return Err(Errno::EROFS);
        }
        check_name(name)?;
        if flags & !(xattr::CREATE | xattr::REPLACE | xattr::REMOVE) != 0
            || (flags & xattr::REMOVE != 0 && (size != 0 || flags != xattr::REMOVE))
        {
            return Err(Errno::EINVAL);
        }
        if size > xattr::SIZE_MAX {
            return Err(Errno::E2BIG);
        }
        let w = Open::XattrWrite {
            name: name.to_vec(),
            flags,
            size,
            value: Vec::new(),
        };
        if let Some(f) = self.fids.get_mut(&fid.0) {
            f.open = Some(w);
        }
        ok(Rmessage::Xattrcreate)
    }

    /// Tread of a Txattrwalk fid.
    pub(crate) fn xattr_read(value: &[u8], offset: u64, count: u32) -> OpResult {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(value.len());
        let end = start.saturating_add(count as usize).min(value.len());
        ok(Rmessage::Read {
            data: value[start..end].to_vec(),
        })
    }

    /// Twrite of a Txattrcreate fid: the value arrives in order.
    pub(crate) fn xattr_write(&mut self, fid: Fid, offset: u64, data: &[u8]) -> OpResult {
        let f = self.fids.get_mut(&fid.0).ok_or(Errno::EBADF)?;
        let Some(Open::XattrWrite { size, value, .. }) = &mut f.open else {
            return Err(Errno::EBADF);
        };
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EINVAL)?;
        if offset != value.len() as u64 || end > *size {
            return Err(Errno::EINVAL);
        }
        value.extend_from_slice(data);
        ok(Rmessage::Write {
            count: u32::try_from(data.len()).unwrap_or(u32::MAX),
        })
    }

    /// Tclunk of a Txattrcreate fid: set or remove the attribute now.
    pub(crate) fn xattr_commit(
        node: &Arc<Node>,
        name: &[u8],
        flags: u32,
        size: u64,
        value: &[u8],
    ) -> Result<(), Errno> {
        if value.len() as u64 != size {
            return Err(Errno::EINVAL);
        }
        let Some(fd) = xattr_fd(node)? else {
            // As Linux for user attributes of other file types.
            return Err(Errno::EPERM);
        };
        if flags & xattr::REMOVE != 0 {
            return rustix::fs::fremovexattr(&fd, name).map_err(errno);
        }
        let mut how = XattrFlags::empty();
        if flags & xattr::CREATE != 0 {
            how |= XattrFlags::CREATE;
        }
        if flags & xattr::REPLACE != 0 {
            how |= XattrFlags::REPLACE;
        }
        rustix::fs::fsetxattr(&fd, name, value, how).map_err(errno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_served_namespaces_pass() {
        assert_eq!(check_name(b"user.a"), Ok(()));
        assert_eq!(check_name(b"trusted.a"), Ok(()));
        assert_eq!(check_name(b"user."), Err(Errno::EOPNOTSUPP));
        assert_eq!(check_name(b"security.selinux"), Err(Errno::EOPNOTSUPP));
        assert_eq!(
            check_name(b"system.posix_acl_access"),
            Err(Errno::EOPNOTSUPP)
        );
        assert_eq!(check_name(b""), Err(Errno::ERANGE));
        assert_eq!(check_name(&[b'u'; 256]), Err(Errno::ERANGE));
        assert_eq!(check_name(b"user.a\0b"), Err(Errno::EINVAL));
    }

    #[test]
    fn reads_are_bounded_by_the_value() {
        let v = b"hello".to_vec();
        let data = |r: OpResult| match r {
            Ok((Rmessage::Read { data }, None)) => data,
            r => panic!("{r:?}"),
        };
        assert_eq!(data(Server::xattr_read(&v, 0, 100)), b"hello");
        assert_eq!(data(Server::xattr_read(&v, 3, 100)), b"lo");
        assert_eq!(data(Server::xattr_read(&v, 9, 100)), b"");
        assert_eq!(data(Server::xattr_read(&v, u64::MAX, 100)), b"");
    }
}
