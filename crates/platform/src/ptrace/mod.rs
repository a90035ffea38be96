//! The ptrace platform: application code runs in stub processes traced with
//! `PTRACE_SYSEMU`, one stub process per address space and one stub thread
//! per task. See `stub.rs` for what a stub contains.

mod aspace;
mod context;
mod factory;
mod slots;
mod stub;
mod sys;
mod thread;

use crate::{AddressSpace, Context, Platform, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use stub::TASK_SIZE;

#[derive(Debug)]
pub struct PtracePlatform {
    page: stub::StubPage,
    memfd: i32,
    factory: factory::Factory,
    next_id: AtomicU64,
}

impl PtracePlatform {
    /// Start the platform for a MemoryFile whose fd is `memfd`.
    pub fn new(memfd: i32) -> Result<PtracePlatform> {
        let page = stub::page().map_err(crate::Error::Host)?;
        let factory = factory::Factory::start(page, memfd)?;
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
        let pid = self.factory.new_process()?;
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
