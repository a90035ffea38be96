//! Waiting for a process that nobody in the sandbox waits for.
//!
//! A process started from outside has no parent to be told of its exit,
//! so there is no wait queue to sleep on: poll its status with a growing
//! interval (a few milliseconds at first, at most 50). Control requests
//! are rare; this costs nothing while the process runs.

use crate::kernel::signal::ExitStatus;
use crate::kernel::ThreadGroup;
use std::time::Duration;

pub(super) fn exit_status(tg: &ThreadGroup) -> ExitStatus {
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(s) = *tg.exit_status.lock() {
            return s;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
