//! The Sentry–Gofer wire protocol: 9P2000.L messages and their codec.
//!
//! # What it is for
//!
//! The Sentry never opens a host path after boot. Every file of the
//! container's root filesystem (and of its bind mounts) comes from a Gofer,
//! a small confined process per container that serves its tree over a unix
//! socket pair. The two speak 9P2000.L — the Linux-flavoured 9P that gVisor's
//! design names and that Linux's v9fs client and diod speak — so the wire
//! format is public, documented, and checkable with existing tools. The
//! Sentry's Gofer client implements `sentry::fs::lower::FileServer` on top of
//! these messages; the Gofer (`crates/gofer`) decodes requests and answers
//! them.
//!
//! This crate is only the codec: no I/O, no `unsafe`, no panics on any
//! input. Sockets and SCM_RIGHTS live in the Gofer and in the Sentry's
//! client.
//!
//! # Wire format
//!
//! Every message is one frame, `size[4] type[1] tag[2] body`, all integers
//! little-endian, `size` counting the whole frame. Strings are `len[2]`
//! followed by that many bytes — file names are bytes, not necessarily
//! UTF-8. A [`Qid`] is `type[1] version[4] path[8]`. The client picks a tag
//! per outstanding request and a [`Fid`] per file reference; replies carry
//! the request's tag, and their type is the request's plus one, or
//! [`Rmessage::Lerror`] carrying a Linux errno (see [`errno_from_wire`],
//! [`errno_to_wire`]).
//!
//! Decoding is strict: a frame must be exactly one well-formed message of
//! the expected direction ([`Tmessage::decode`] in the Gofer,
//! [`Rmessage::decode`] in the client). Every count and length is checked
//! against the bytes present before anything is allocated, so a hostile
//! peer gets a [`DecodeError`], never a crash or a large allocation. Because
//! counts are derived when encoding, every accepted frame has exactly one
//! encoding: `encode(decode(x)) == x`, which the fuzz target checks.
//!
//! # Messages
//!
//! | purpose | request → reply |
//! |---|---|
//! | session | Tversion/Rversion, Tauth/Rauth (refused), Tattach/Rattach, Tflush/Rflush |
//! | names | Twalk/Rwalk, Treaddir/Rreaddir, Treadlink/Rreadlink |
//! | attributes | Tgetattr/Rgetattr, Tsetattr/Rsetattr, Tstatfs/Rstatfs, Txattrwalk/Rxattrwalk, Txattrcreate/Rxattrcreate |
//! | open files | Tlopen/Rlopen, Tlcreate/Rlcreate, Tread/Rread, Twrite/Rwrite, Tfsync/Rfsync, Tlock/Rlock, Tgetlock/Rgetlock, Tclunk/Rclunk |
//! | changing the tree | Tmkdir/Rmkdir, Tsymlink/Rsymlink, Tmknod/Rmknod, Tlink/Rlink, Trename/Rrename, Trenameat/Rrenameat, Tunlinkat/Runlinkat, Tremove/Rremove |
//! | failure | Rlerror |
//!
//! # Opened files travel as host fds
//!
//! Rlopen and Rlcreate are sent with exactly one host fd attached as
//! SCM_RIGHTS ancillary data, in the same `sendmsg` as the reply
//! ([`Rmessage::carries_fd`], [`Tmessage::expects_fd`]). The Sentry then
//! reads, writes and maps the file directly, with no round trip to the
//! Gofer; Tread/Twrite on the fid remain for files the Sentry chooses not to
//! hold directly. No other reply carries fds. A client accepts an fd only
//! with a reply that [`answers`](Rmessage::answers) an outstanding Tlopen or
//! Tlcreate, and otherwise closes whatever arrived and drops the connection.
//! A SOCK_SEQPACKET socket pair keeps one frame and its fds in one record;
//! over a SOCK_STREAM socket, [`Framer`] splits the stream.
//!
//! # How `FileServer` maps onto it
//!
//! | `FileServer` | messages |
//! |---|---|
//! | `root` | Tattach, once per connection |
//! | `walk(dir, name)` | Twalk { dir, newfid, \[name\] } then Tgetattr { newfid } |
//! | `getattr` | Tgetattr |
//! | `readdir` | Tlopen of a clone, then Treaddir until it returns no entries (or getdents64 on the donated fd) |
//! | `readlink` | Treadlink |
//! | `open` | Twalk { h, newfid, \[\] } (a clone), Tlopen { newfid } → fd, Tclunk { newfid } |
//! | `statfs` | Tstatfs |
//! | `getxattr`, `listxattr` | Txattrwalk { h, newfid, name } (name "" for the list), Tread { newfid }, Tclunk |
//! | `setxattr`, removal | Twalk { h, newfid, \[\] }, Txattrcreate { newfid } (flags in [`xattr`]), Twrite…, Tclunk (whose reply is the outcome) |
//! | `release` | Tclunk |
//! | writes (`--overlay2=none`) | Tlcreate, Tmkdir, Tsymlink, Tmknod, Tlink, Trenameat, Tunlinkat, Tsetattr, Tfsync |
//!
//! # msize
//!
//! Tversion (tag [`NOTAG`], version [`VERSION`]) is the first message; the
//! server answers with the smaller of the two sides' msize
//! ([`negotiate_version`]), and no frame larger than that may be sent in
//! either direction afterwards — [`Framer`] enforces it on receipt, and
//! servers size Rread/Rreaddir data with [`RREAD_HEADER`]. Because open files
//! move through fds, msize bounds only directory listings, link targets,
//! xattrs and the Tread/Twrite fallback; [`DEFAULT_MSIZE`] is 1 MiB and no
//! side agrees to less than [`MIN_MSIZE`].

#![forbid(unsafe_code)]
// The codec runs on bytes from another process: nothing in it may panic.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::arithmetic_side_effects,
        clippy::cast_possible_truncation
    )
)]

mod errno;
mod error;
mod frame;
pub mod msg_type;
mod rmessage;
pub mod testing;
mod tmessage;
mod types;
mod wire;

#[cfg(test)]
mod tests;

pub use errno::{errno_from_wire, errno_to_wire};
pub use error::{DecodeError, EncodeError, FrameError};
pub use frame::{
    check_frame_size, negotiate_version, peek_frame_size, Framer, Negotiated, DEFAULT_MSIZE,
    HEADER_SIZE, MIN_MSIZE, RREADDIR_HEADER, RREAD_HEADER, TWRITE_HEADER,
};
pub use rmessage::Rmessage;
pub use tmessage::Tmessage;
pub use types::*;
