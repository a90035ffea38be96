//! Sleeping for a time: nanosleep and friends.

use super::Task;
use abi::Errno;
use std::time::Instant;

impl Task {
    /// Sleep until `deadline` (None: until a signal). Returns EINTR if a
    /// signal or an exit request interrupts it, Ok when the deadline passed.
    pub fn sleep_until(&mut self, deadline: Option<Instant>) -> Result<(), Errno> {
        loop {
            match self.block(deadline) {
                Err(Errno::ETIMEDOUT) => return Ok(()),
                Err(e) => return Err(e),
                // Woken for something else: keep sleeping.
                Ok(()) => {}
            }
        }
    }
}
