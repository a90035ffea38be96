//! Resuming an interrupted sleep through restart_syscall(2).

use super::SysResult;
use crate::kernel::Task;
use abi::{Errno, Timespec};
use std::time::{Duration, Instant};

/// Sleep until the host-monotonic `deadline`; on a new interruption, ask
/// for another restart (writing the remaining time to `rem` if the handler
/// will see EINTR).
pub fn resume_sleep(t: &mut Task, clock: i32, deadline: Timespec, rem: u64) -> SysResult {
    let now = crate::kernel::time::host_monotonic();
    let left = crate::kernel::time::ns(deadline) - crate::kernel::time::ns(now);
    if left <= 0 {
        return Ok(0);
    }
    let until = Instant::now() + Duration::from_nanos(left as u64);
    match t.sleep_until(Some(until)) {
        Ok(()) => Ok(0),
        Err(_) => {
            let now = crate::kernel::time::host_monotonic();
            let left = (crate::kernel::time::ns(deadline) - crate::kernel::time::ns(now)).max(0);
            if rem != 0 {
                let _ = t.mm.write_obj(rem, &crate::kernel::time::from_ns(left));
            }
            t.restart_block = Some(crate::kernel::task::RestartBlock::Sleep {
                clock,
                deadline,
                rem,
            });
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
    }
}
