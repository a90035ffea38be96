//! The Sentry: rvisor's application kernel.
//!
//! Layering (arrows point to what a module may use):
//! `syscalls -> kernel, mm, vfs, fs -> memory, platform, abi`.
//! `mm` and `vfs` know nothing of syscalls; `syscalls` only decodes
//! arguments and calls into the rest.
//!
//! No `unsafe` here: everything that needs it lives in `memory` and `platform`.
#![deny(unsafe_code)]

pub mod boot;
pub mod boot_mounts;
pub mod control;
pub mod fs;
pub mod kernel;
pub mod loader;
pub mod mm;
pub mod net;
pub mod strace;
pub mod syscalls;
pub mod vdso;
pub mod vfs;
