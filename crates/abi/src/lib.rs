//! The Linux x86-64 ABI as data: syscall numbers, errno values, the `repr(C)`
//! structures that cross the user/kernel boundary, and constants the `libc`
//! crate does not carry. Nothing here has behaviour beyond encoding.
//!
//! Structures derive `zerocopy` traits so the Sentry can move them to and from
//! application memory without `unsafe`.

pub mod errno;
pub mod ipc;
pub mod signal;
pub mod structs;
pub mod sysno;

pub use errno::Errno;
pub use structs::*;

/// Size of a page on x86-64.
pub const PAGE_SIZE: u64 = 4096;

/// Round `x` down to a page boundary.
pub const fn page_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

/// Round `x` up to a page boundary (`None` on overflow).
pub const fn page_up(x: u64) -> Option<u64> {
    match x.checked_add(PAGE_SIZE - 1) {
        Some(v) => Some(v & !(PAGE_SIZE - 1)),
        None => None,
    }
}

/// Auxiliary vector tags (see getauxval(3)).
pub mod auxv {
    pub const AT_NULL: u64 = 0;
    pub const AT_PHDR: u64 = 3;
    pub const AT_PHENT: u64 = 4;
    pub const AT_PHNUM: u64 = 5;
    pub const AT_PAGESZ: u64 = 6;
    pub const AT_BASE: u64 = 7;
    pub const AT_FLAGS: u64 = 8;
    pub const AT_ENTRY: u64 = 9;
    pub const AT_UID: u64 = 11;
    pub const AT_EUID: u64 = 12;
    pub const AT_GID: u64 = 13;
    pub const AT_EGID: u64 = 14;
    pub const AT_PLATFORM: u64 = 15;
    pub const AT_HWCAP: u64 = 16;
    pub const AT_CLKTCK: u64 = 17;
    pub const AT_SECURE: u64 = 23;
    pub const AT_RANDOM: u64 = 25;
    pub const AT_HWCAP2: u64 = 26;
    pub const AT_EXECFN: u64 = 31;
    pub const AT_SYSINFO_EHDR: u64 = 33;
    pub const AT_MINSIGSTKSZ: u64 = 51;
}
