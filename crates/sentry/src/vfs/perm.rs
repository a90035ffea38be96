//! Permission checks (generic_permission in Linux terms).

use super::inode::Attr;
use crate::kernel::creds::{Creds, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER};
use abi::Errno;

pub const MAY_EXEC: u32 = 1;
pub const MAY_WRITE: u32 = 2;
pub const MAY_READ: u32 = 4;

/// Whether `creds` may access a file with attributes `a` as `want` (MAY_* bits).
pub fn check(a: &Attr, creds: &Creds, want: u32) -> Result<(), Errno> {
    let mode = a.mode;
    let bits = if creds.fsuid == a.uid {
        (mode >> 6) & 7
    } else if creds.in_group(a.gid) {
        (mode >> 3) & 7
    } else {
        mode & 7
    };
    if want & !bits == 0 {
        return Ok(());
    }
    let is_dir = a.is_dir();
    // Root-like overrides: everything but executing a file nobody may execute.
    if creds.has_cap(CAP_DAC_OVERRIDE) && (want & MAY_EXEC == 0 || is_dir || mode & 0o111 != 0) {
        return Ok(());
    }
    if creds.has_cap(CAP_DAC_READ_SEARCH) && want & MAY_WRITE == 0 && (want == MAY_READ || is_dir) {
        return Ok(());
    }
    Err(Errno::EACCES)
}

/// Whether `creds` owns the file or may act as its owner (chmod, utimes with a value).
pub fn is_owner(a: &Attr, creds: &Creds) -> bool {
    creds.fsuid == a.uid || creds.has_cap(CAP_FOWNER)
}

/// Sticky directories: only the owner of the entry or of the directory (or CAP_FOWNER) may remove it.
pub fn may_delete_sticky(dir: &Attr, victim: &Attr, creds: &Creds) -> bool {
    dir.mode & 0o1000 == 0
        || creds.fsuid == victim.uid
        || creds.fsuid == dir.uid
        || creds.has_cap(CAP_FOWNER)
}
