//! Unix domain sockets: stream, datagram and seqpacket endpoints in the
//! Sentry, bound to filesystem names (an S_IFSOCK node in the sandbox's
//! VFS) or abstract names (per sandbox), with SCM_RIGHTS and
//! SCM_CREDENTIALS.

pub mod addr;
mod dgram;
pub mod endpoint;
pub mod file;
pub mod ns;
mod stream;

pub use addr::UnixAddr;
pub use endpoint::{Endpoint, Received, RecvOpts, Scm, SockType, Ucred};
pub use file::{socket_of, UnixSocket};
pub use ns::UnixNamespace;
