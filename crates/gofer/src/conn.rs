//! The socket side: one SOCK_SEQPACKET connection, one frame per message,
//! requests answered in order. Rlopen and Rlcreate go out with their host
//! fd attached (SCM_RIGHTS) in the same sendmsg.
//!
//! A frame that cannot be a message (wrong size field, larger than msize,
//! truncated, or carrying fds) ends the connection; a frame with a good
//! header whose body does not decode gets Rlerror(EINVAL).

use crate::server::Server;
use abi::Errno;
use proto::{check_frame_size, peek_frame_size, Rmessage, Tmessage, HEADER_SIZE};
use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, ReturnFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Why serving stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum End {
    /// The Sentry closed its end: the normal way to stop.
    Closed,
    /// The peer broke the framing rules.
    Framing(String),
    /// The socket failed.
    Io(Errno),
}

/// Serves requests from `sock` until the peer closes it or breaks the
/// framing rules.
pub fn serve(sock: BorrowedFd<'_>, server: &mut Server) -> End {
    // One byte more than the largest frame, so an oversized one shows.
    let mut buf = vec![0u8; proto::DEFAULT_MSIZE as usize + 1];
    let mut out = Vec::with_capacity(64 << 10);
    loop {
        let n = match recv_frame(sock, &mut buf) {
            Ok(Some(n)) => n,
            Ok(None) => return End::Closed,
            Err(RecvError::Framing(why)) => return End::Framing(why),
            Err(RecvError::Io(e)) => return End::Io(e),
        };
        let frame = &buf[..n];
        if let Err(e) = check(frame, server.msize()) {
            return End::Framing(e);
        }
        let (tag, reply) = match Tmessage::decode(frame) {
            Ok((tag, req)) => (tag, server.handle(req)),
            Err(_) => {
                // The header is sound (checked above), so the tag is real.
                let tag = u16::from_le_bytes([frame[5], frame[6]]);
                (tag, (Rmessage::lerror(Errno::EINVAL), None))
            }
        };
        let (mut msg, mut fd) = reply;
        out.clear();
        if msg.encode(tag, &mut out).is_err() {
            msg = Rmessage::lerror(Errno::EIO);
            fd = None;
            out.clear();
            if msg.encode(tag, &mut out).is_err() {
                return End::Io(Errno::EIO);
            }
        }
        if let Err(e) = send_frame(sock, &out, fd.as_ref().map(|f| f.as_fd())) {
            return match e {
                Errno::EPIPE | Errno::ECONNRESET => End::Closed,
                e => End::Io(e),
            };
        }
    }
}

/// The largest frame this end of a SOCK_SEQPACKET socket can send, up to
/// `want`: Linux refuses a message larger than the sender's send buffer, so
/// the buffer is grown (as far as net.core.wmem_max lets it) and msize
/// kept below it.
pub fn frame_capacity(sock: BorrowedFd<'_>, want: u32) -> u32 {
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(sock, want as usize * 2);
    let got = rustix::net::sockopt::socket_send_buffer_size(sock).unwrap_or(0);
    // Room for the kernel's own accounting of the message.
    let cap = u32::try_from(got.saturating_sub(8192)).unwrap_or(u32::MAX) & !4095;
    want.min(cap).max(proto::MIN_MSIZE)
}

fn check(frame: &[u8], msize: u32) -> Result<(), String> {
    if frame.len() < HEADER_SIZE {
        return Err(format!("a frame of {} bytes", frame.len()));
    }
    let size = peek_frame_size(frame).unwrap_or(0);
    check_frame_size(size, msize).map_err(|e| e.to_string())?;
    if usize::try_from(size).ok() != Some(frame.len()) {
        return Err(format!(
            "size field {size} on a frame of {} bytes",
            frame.len()
        ));
    }
    Ok(())
}

enum RecvError {
    Framing(String),
    Io(Errno),
}

/// One frame into `buf`; `None` at end of stream.
fn recv_frame(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Option<usize>, RecvError> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let r = loop {
        let mut iov = [IoSliceMut::new(buf)];
        match rustix::net::recvmsg(sock, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Err(rustix::io::Errno::INTR) => continue,
            r => break r,
        }
    };
    let r = match r {
        Ok(r) => r,
        Err(rustix::io::Errno::CONNRESET) => return Ok(None),
        Err(e) => return Err(RecvError::Io(Errno(e.raw_os_error()))),
    };
    // The Sentry never sends fds: any that came are closed here.
    let mut got_fds = false;
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(fds) = m {
            for fd in fds {
                drop::<OwnedFd>(fd);
                got_fds = true;
            }
        }
    }
    if got_fds {
        return Err(RecvError::Framing(
            "a request carried file descriptors".into(),
        ));
    }
    if r.flags.contains(ReturnFlags::TRUNC) || r.bytes >= buf.len() {
        return Err(RecvError::Framing("a frame larger than any msize".into()));
    }
    if r.bytes == 0 {
        // SOCK_SEQPACKET: a zero-length read is the peer's close.
        return Ok(None);
    }
    Ok(Some(r.bytes))
}

fn send_frame(sock: BorrowedFd<'_>, frame: &[u8], fd: Option<BorrowedFd<'_>>) -> Result<(), Errno> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    let fds;
    if let Some(fd) = fd {
        fds = [fd];
        if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
            return Err(Errno::EIO);
        }
    }
    let iov = [IoSlice::new(frame)];
    loop {
        match rustix::net::sendmsg(sock, &iov, &mut control, SendFlags::NOSIGNAL) {
            Ok(n) if n == frame.len() => return Ok(()),
            Ok(_) => return Err(Errno::EIO),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(Errno(e.raw_os_error())),
        }
    }
}
