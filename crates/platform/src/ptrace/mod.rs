//! The ptrace platform: application code runs in stub processes traced with
//! `PTRACE_SYSEMU`, one stub process per address space and one stub thread
//! per task. See `crate::stub` for what a stub contains. The factory (and
//! the ptrace calls under it) also creates the systrap platform's stubs.

mod aspace;
mod context;
pub(crate) mod factory;
mod slots;
pub(crate) mod sys;
pub(crate) mod thread;

use crate::{AddressSpace, Context, Platform, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use crate::stub::TASK_SIZE;

#[derive(Debug)]
pub struct PtracePlatform {
    page: crate::stub::StubPage,
    memfd: i32,
    factory: factory::Factory,
    next_id: AtomicU64,
}

impl PtracePlatform {
    /// Start the platform for a MemoryFile whose fd is `memfd`.
    pub fn new(memfd: i32) -> Result<PtracePlatform> {
        let page = crate::stub::page().map_err(crate::Error::Host)?;
        let factory = factory::Factory::start(page, memfd, None)?;
        Ok(PtracePlatform {
            page,
            memfd,
            factory,
            next_id: AtomicU64::new(1),
        })
    }
}

impl Platform for PtracePlatform {
    fn name(&self) -> &'static str {
        "ptrace"
    }

    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        slots::collect_dead();
        let (pid, _) = self.factory.new_process()?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Ok(Arc::new(aspace::PtraceAddressSpace::new(
            id,
            pid,
            self.page,
            self.memfd,
            self.factory.master,
        )))
    }

    fn new_context(&self) -> Box<dyn Context> {
        Box::new(context::PtraceContext::new())
    }

    fn max_user_address(&self) -> u64 {
        self.page.addr
    }
}
