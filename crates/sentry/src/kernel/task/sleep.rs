//! Blocking: a task parks its host thread until woken, a deadline passes,
//! or it is told to exit.

use super::Task;
use abi::Errno;
use std::time::Instant;

impl Task {
    /// Sleep until `deadline` (None: until woken). Returns EINTR if woken
    /// early by an interruption (signal or exit), Ok when the deadline passed.
    pub fn sleep_until(&mut self, deadline: Option<Instant>) -> Result<(), Errno> {
        let shared = self.shared.clone();
        let mut woken = shared.sleep_lock.lock();
        *woken = false;
        loop {
            if shared.is_killed() || *woken {
                *woken = false;
                return Err(Errno::EINTR);
            }
            match deadline {
                Some(d) => {
                    if Instant::now() >= d {
                        return Ok(());
                    }
                    shared.sleep_cv.wait_until(&mut woken, d);
                }
                None => shared.sleep_cv.wait(&mut woken),
            }
        }
    }
}
