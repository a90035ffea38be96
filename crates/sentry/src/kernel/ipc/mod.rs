//! System V IPC: shared memory segments, semaphore sets and message
//! queues, per IPC namespace.
//!
//! An [`IpcNamespace`] holds the three families' tables. The sandbox has
//! one (the kernel's); the type is self-contained so that CLONE_NEWIPC or
//! unshare(2) can make another. Each family has one lock over its table;
//! they are never held together.

pub mod msg;
pub mod perm;
pub mod sem;
pub mod shm;

use super::Task;
use memory::MemoryFile;
use std::sync::Arc;

pub struct IpcNamespace {
    pub shm: Arc<shm::ShmRegistry>,
    pub sem: Arc<sem::SemRegistry>,
    pub msg: Arc<msg::MsgRegistry>,
}

impl std::fmt::Debug for IpcNamespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IpcNamespace")
    }
}

impl IpcNamespace {
    pub fn new(mf: Arc<MemoryFile>) -> Arc<IpcNamespace> {
        Arc::new(IpcNamespace {
            shm: shm::ShmRegistry::new(mf),
            sem: sem::SemRegistry::new(),
            msg: msg::MsgRegistry::new(),
        })
    }

    /// A process ended: its SEM_UNDO adjustments apply.
    pub fn exit_process(&self, tgid: i32) {
        self.sem.exit(tgid);
    }
}

impl Task {
    /// The IPC namespace the task lives in.
    pub fn ipc_ns(&self) -> Arc<IpcNamespace> {
        self.k.ipc.clone()
    }
}
