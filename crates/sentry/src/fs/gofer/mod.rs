//! The Gofer client: host directory trees reach the Sentry through a
//! separate, confined Gofer process (`crates/gofer`, started as `runsc
//! gofer`) that speaks 9P2000.L over a SOCK_SEQPACKET socket pair and
//! donates the host fds of opened files.
//!
//! - `launch`: starts a Gofer with one end of a socket pair.
//! - `conn`: the connection — pipelined calls, fds with SCM_RIGHTS, EIO for
//!   ever once the Gofer misbehaves or dies.
//! - `client`: [`GoferClient`], the [`FileServer`] that
//!   [`LowerInode`](crate::fs::lower::LowerInode) turns into VFS inodes.
//!
//! After boot the Sentry opens no host path: every host file it touches
//! arrives as an fd from a Gofer.
//!
//! May use: `proto`, `vfs` (attribute types), `fs::lower` (the trait).
//!
//! [`FileServer`]: crate::fs::lower::FileServer

mod client;
mod conn;
mod launch;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_features;

pub use client::GoferClient;
pub use launch::{spawn, GoferMount, GoferProcess};
