//! Rlerror's `ecode[4]` is a Linux errno. Both directions are filtered: the
//! Gofer must not leak a kernel-internal code, and the Sentry must not let a
//! compromised Gofer hand it one — an ERESTARTSYS from a file server would
//! make the Sentry restart the application's syscall.

use abi::Errno;

/// The largest errno an application can see. Values from 512 up are the
/// kernel's internal restart and NFS codes.
const MAX_USER_ERRNO: u32 = 511;

/// The ecode to send for `e`. Restart codes become EINTR (the Gofer was
/// interrupted); anything else outside 1..=511 becomes EIO.
pub fn errno_to_wire(e: Errno) -> u32 {
    if e == Errno::ERESTARTSYS
        || e == Errno::ERESTARTNOINTR
        || e == Errno::ERESTARTNOHAND
        || e == Errno::ERESTART_RESTARTBLOCK
    {
        return errno_to_wire(Errno::EINTR);
    }
    match u32::try_from(e.0) {
        Ok(v) if (1..=MAX_USER_ERRNO).contains(&v) => v,
        _ => eio(),
    }
}

/// The errno an ecode stands for. 0 (an error that is no error) and
/// anything outside 1..=511 become EIO.
pub fn errno_from_wire(ecode: u32) -> Errno {
    if (1..=MAX_USER_ERRNO).contains(&ecode) {
        if let Ok(v) = i32::try_from(ecode) {
            return Errno(v);
        }
    }
    Errno::EIO
}

fn eio() -> u32 {
    u32::try_from(Errno::EIO.0).unwrap_or(5)
}
