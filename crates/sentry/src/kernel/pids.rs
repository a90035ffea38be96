//! The sandbox's PID namespace: task ids and thread-group ids.

use super::task::TaskShared;
use super::thread_group::ThreadGroup;
use std::collections::HashMap;
use std::sync::Arc;

/// Largest pid handed out before wrapping (kernel.pid_max).
pub const PID_MAX: i32 = 4_194_304;

#[derive(Default)]
pub struct PidTable {
    next: i32,
    pub tasks: HashMap<i32, Arc<TaskShared>>,
    pub groups: HashMap<i32, Arc<ThreadGroup>>,
}

impl PidTable {
    /// A free id (ids are shared by tasks and thread groups, as in Linux).
    pub fn alloc(&mut self) -> Option<i32> {
        for _ in 0..PID_MAX {
            self.next = if self.next >= PID_MAX {
                1
            } else {
                self.next + 1
            };
            let id = self.next;
            if !self.tasks.contains_key(&id) && !self.groups.contains_key(&id) {
                return Some(id);
            }
        }
        None
    }
}
