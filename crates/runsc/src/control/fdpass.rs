//! Bytes with fds attached over unix stream sockets (SCM_RIGHTS), and
//! socket paths too long for `sockaddr_un`.

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// Most fds one message carries.
pub const MAX_FDS: usize = 16;

/// Send all of `data`, with `fds` attached to its first byte.
pub fn send(sock: &UnixStream, data: &[u8], fds: &[BorrowedFd<'_>]) -> std::io::Result<()> {
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len().max(1)))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !anc.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err(std::io::Error::other("too many fds for one message"));
    }
    let mut sent =
        rustix::net::sendmsg(sock, &[IoSlice::new(data)], &mut anc, SendFlags::NOSIGNAL)?;
    while sent < data.len() {
        let mut none = SendAncillaryBuffer::default();
        sent += rustix::net::sendmsg(
            sock,
            &[IoSlice::new(&data[sent..])],
            &mut none,
            SendFlags::NOSIGNAL,
        )?;
    }
    Ok(())
}

/// Receive some bytes into `buf`; fds that came with them are added to
/// `fds`. Returns 0 at EOF.
pub fn recv(sock: &UnixStream, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> std::io::Result<usize> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut anc = RecvAncillaryBuffer::new(&mut space);
    let r = rustix::net::recvmsg(
        sock,
        &mut [IoSliceMut::new(buf)],
        &mut anc,
        RecvFlags::CMSG_CLOEXEC,
    )?;
    for msg in anc.drain() {
        if let RecvAncillaryMessage::ScmRights(received) = msg {
            fds.extend(received);
        }
    }
    Ok(r.bytes)
}

/// A path to reach `path` by that fits in `sockaddr_un` (108 bytes): the
/// path itself, or its name under `/proc/self/fd/N` of its directory,
/// opened here (keep the fd until the bind or connect is done).
fn short_path(path: &Path) -> std::io::Result<(PathBuf, Option<OwnedFd>)> {
    if path.as_os_str().len() < 100 {
        return Ok((path.to_path_buf(), None));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("socket path has no file name"))?;
    let fd = rustix::fs::open(
        dir,
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    let short = PathBuf::from(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&fd)
    ))
    .join(name);
    Ok((short, Some(fd)))
}

pub fn bind(path: &Path) -> std::io::Result<UnixListener> {
    let (p, _dir) = short_path(path)?;
    UnixListener::bind(p)
}

pub fn connect(path: &Path) -> std::io::Result<UnixStream> {
    let (p, _dir) = short_path(path)?;
    UnixStream::connect(p)
}
