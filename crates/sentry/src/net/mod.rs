//! Sockets. Only the Unix domain exists today (`unix`): endpoints are
//! kernel objects of the Sentry, never host sockets. Inet sockets come with
//! the network stack; `socket(2)` answers EAFNOSUPPORT for every other
//! family.
//!
//! May use: `vfs` (files, bound names), `mm` (I/O buffers), `kernel`
//! (tasks, wait queues, credentials).

pub mod unix;

pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;

pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_RAW: u32 = 3;
pub const SOCK_SEQPACKET: u32 = 5;
pub const SOCK_NONBLOCK: u32 = libc::O_NONBLOCK as u32;
pub const SOCK_CLOEXEC: u32 = libc::O_CLOEXEC as u32;
/// The type bits of socket(2)'s `type` argument (the rest are flags).
pub const SOCK_TYPE_MASK: u32 = 0xf;
/// Types below this are valid numbers (others are EINVAL, as Linux's SOCK_MAX).
pub const SOCK_MAX: u32 = 11;

pub const MSG_OOB: u32 = 0x1;
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_CTRUNC: u32 = 0x8;
pub const MSG_TRUNC: u32 = 0x20;
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_EOR: u32 = 0x80;
pub const MSG_WAITALL: u32 = 0x100;
pub const MSG_NOSIGNAL: u32 = 0x4000;
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

/// The largest socket address a syscall copies (sizeof(struct sockaddr_storage)).
pub const SOCKADDR_STORAGE: usize = 128;
