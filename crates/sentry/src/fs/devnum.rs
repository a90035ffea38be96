//! Device numbers: the `dev_t` encoding stat reports, and anonymous device
//! numbers for filesystems without a backing device (tmpfs, proc, host fds),
//! which Linux takes from major 0.

use std::sync::atomic::{AtomicU32, Ordering};

/// `makedev(3)`: the encoding `st_dev`/`st_rdev` and mknod(2) use.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma & 0xffff_f000) << 32) | ((ma & 0xfff) << 8) | ((mi & 0xffff_ff00) << 12) | (mi & 0xff)
}

pub const fn major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}

pub const fn minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

/// Minors below this are left alone, as a booted Linux has already handed
/// the first few to its own pseudo filesystems.
const FIRST_ANON_MINOR: u32 = 16;

static NEXT_ANON_MINOR: AtomicU32 = AtomicU32::new(FIRST_ANON_MINOR);

/// A device number no other filesystem instance of this Sentry has (0:N).
pub fn alloc_anon_dev() -> u64 {
    makedev(0, NEXT_ANON_MINOR.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        for (ma, mi) in [
            (1, 3),
            (5, 0),
            (136, 2),
            (0, 300),
            (4095, 1 << 19),
            (1 << 12, 255),
        ] {
            let d = makedev(ma, mi);
            assert_eq!((major(d), minor(d)), (ma, mi));
        }
        // Small numbers use the old 16-bit layout.
        assert_eq!(makedev(1, 3), 0x103);
        assert_ne!(alloc_anon_dev(), alloc_anon_dev());
    }
}
