//! Memory the application owns.
//!
//! The [`MemoryFile`] is one memfd per sandbox. Every page an application can
//! touch — anonymous memory, shared memory, tmpfs file data, private copies of
//! file pages — is a *frame* (a page-sized offset) in it. The Sentry maps the
//! whole file once into its own address space and reads and writes frames
//! through that mapping; the platform maps frames into the application's
//! address space. Frames are reference counted; a frame whose count drops to
//! zero has its storage released to the host (hole punch) and is reused.
//!
//! This crate holds `unsafe` code (the mapping and raw copies); every block has
//! a `// SAFETY:` note. It may touch only the host memfd and Sentry memory.

mod file;
mod frames;

pub use file::{Block, MemoryFile};
pub use frames::FrameAllocator;
