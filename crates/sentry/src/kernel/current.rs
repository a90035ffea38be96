//! The task the calling host thread is serving, for code that is reached
//! without a `Task` argument: the VFS has no task context, yet `/proc/self`
//! must know who asks. The task loop enters it around each syscall; outside
//! a syscall (boot, unit tests) there is none.

use super::thread_group::ThreadGroup;
use std::cell::RefCell;
use std::sync::Arc;

/// Who the current host thread is serving.
#[derive(Clone, Debug)]
pub struct Current {
    pub tid: i32,
    pub tg: Arc<ThreadGroup>,
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// While alive, `get()` on this host thread answers the task given to
/// [`enter`]; dropping it restores what was there before.
#[must_use = "the current task is unset again when this is dropped"]
#[derive(Debug)]
pub struct Entered {
    prev: Option<Current>,
}

/// Make task `tid` of `tg` the current task of this host thread.
pub fn enter(tid: i32, tg: &Arc<ThreadGroup>) -> Entered {
    let cur = Current {
        tid,
        tg: tg.clone(),
    };
    let prev = CURRENT.with(|c| c.replace(Some(cur)));
    Entered { prev }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

/// The task this host thread serves, if it is serving one.
pub fn get() -> Option<Current> {
    CURRENT.with(|c| c.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Weak;

    #[test]
    fn entered_nests_and_restores() {
        assert!(get().is_none());
        let a = ThreadGroup::new(7, Default::default(), Default::default(), Weak::new());
        let b = ThreadGroup::new(9, Default::default(), Default::default(), Weak::new());
        {
            let _g = enter(7, &a);
            assert_eq!(get().map(|c| c.tid), Some(7));
            {
                let _h = enter(10, &b);
                let c = get().unwrap();
                assert_eq!((c.tid, c.tg.tgid), (10, 9));
            }
            assert_eq!(get().map(|c| c.tg.tgid), Some(7));
        }
        assert!(get().is_none());
        // Another host thread has its own.
        let _g = enter(7, &a);
        assert!(std::thread::spawn(|| get().is_none()).join().unwrap());
    }
}
