//! A process's filesystem context: root, working directory, umask
//! (shared between tasks created with CLONE_FS).

use crate::vfs::Path;
use parking_lot::Mutex;

#[derive(Clone, Debug)]
pub struct FsState {
    pub root: Path,
    pub cwd: Path,
    pub umask: u32,
}

#[derive(Debug)]
pub struct FsContext {
    pub st: Mutex<FsState>,
}

impl FsContext {
    pub fn new(root: Path, cwd: Path) -> FsContext {
        FsContext {
            st: Mutex::new(FsState {
                root,
                cwd,
                umask: 0o022,
            }),
        }
    }

    pub fn snapshot(&self) -> FsState {
        self.st.lock().clone()
    }

    pub fn fork(&self) -> FsContext {
        FsContext {
            st: Mutex::new(self.st.lock().clone()),
        }
    }
}
