//! Platforms: how application code runs and how its syscalls and faults reach
//! the Sentry.
//!
//! A [`Platform`] makes [`AddressSpace`]s (an application address space that
//! mirrors the Sentry's MM) and [`Context`]s (one per task thread, which runs
//! application code until it needs the kernel). The Sentry owns all memory
//! decisions; the platform only mirrors frames of the MemoryFile into the
//! address space when told to.
//!
//! This crate is the only one that touches ptrace and seccomp-for-stubs; it
//! holds `unsafe` code, each block with a `// SAFETY:` note.
//!
//! Platforms: `ptrace` (PTRACE_SYSEMU) and `systrap` (seccomp traps handled
//! in the stub, hand-off through shared memory). Both run application code
//! in stub processes made from the same stub page (`stub`) by the same
//! factory (`ptrace::factory`).

pub mod fpstate;
pub mod ptrace;
pub(crate) mod stub;
pub mod systrap;
pub mod tsc;

pub use abi::Regs;
pub use fpstate::FpState;

use abi::signal::SigInfo;
use std::sync::Arc;

/// Page protections, as the `PROT_*` bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Prot(pub u32);

impl Prot {
    pub const NONE: Prot = Prot(0);
    pub const READ: Prot = Prot(1);
    pub const WRITE: Prot = Prot(2);
    pub const EXEC: Prot = Prot(4);
    pub const RW: Prot = Prot(3);
    pub fn read(self) -> bool {
        self.0 & 1 != 0
    }
    pub fn write(self) -> bool {
        self.0 & 2 != 0
    }
    pub fn exec(self) -> bool {
        self.0 & 4 != 0
    }
    pub fn without_write(self) -> Prot {
        Prot(self.0 & !2)
    }
}

/// Why [`Context::switch`] returned.
#[derive(Debug)]
pub enum Exit {
    /// The application made a syscall; its number is in `orig_rax`, arguments in the usual registers,
    /// and `rip` points after the `syscall` instruction.
    Syscall,
    /// A memory fault (SIGSEGV or SIGBUS from the hardware) the Sentry must resolve or turn into a signal.
    Fault(SigInfo),
    /// A synchronous trap that becomes an application signal as is (SIGFPE, SIGILL, SIGTRAP, ...).
    Signal(SigInfo),
    /// `interrupt()` was called, or a host signal arrived; nothing to do but check for work.
    Interrupted,
}

/// Platform failures. The Sentry kills the affected task; the sandbox lives on.
#[derive(Debug)]
pub enum Error {
    /// The host process or thread that runs the application died.
    Dead(String),
    /// Host resource exhaustion or an unexpected host error.
    Host(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Dead(s) => write!(f, "application host thread died: {s}"),
            Error::Host(s) => write!(f, "platform host error: {s}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

pub trait Platform: Send + Sync {
    /// A short name: "ptrace", "systrap", "kvm".
    fn name(&self) -> &'static str;
    /// A new, empty application address space.
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>>;
    /// A new execution context for the calling host thread. Contexts are used
    /// only on the thread that created them.
    fn new_context(&self) -> Box<dyn Context>;
    /// One past the highest address applications may map.
    fn max_user_address(&self) -> u64;
}

/// One mapping instruction for [`AddressSpace::map`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub addr: u64,
    pub len: u64,
    /// Offset of the first frame in the MemoryFile.
    pub frame: u64,
    pub prot: Prot,
}

pub trait AddressSpace: Send + Sync {
    /// Mirror MemoryFile frames into the address space, replacing whatever
    /// was mapped there. Called on the thread of a task running in this
    /// address space.
    fn map(&self, maps: &[Mapping]) -> Result<()>;
    /// Remove mirrored ranges (absent ranges are fine).
    fn unmap(&self, ranges: &[(u64, u64)]) -> Result<()>;
    /// Change the protection of mirrored ranges `(addr, len, prot)`; every
    /// page of each range must be mirrored.
    fn protect(&self, ranges: &[(u64, u64, Prot)]) -> Result<()>;
    /// Prepare an execution slot for one more task thread that will share
    /// this address space (clone with CLONE_VM). Called on the thread of a
    /// task already running in it.
    fn prepare_thread(&self) -> Result<()>;
    /// CPU time spent running application code in this address space:
    /// (user, user + system) nanoseconds, if the platform can tell.
    fn cpu_time(&self) -> Option<(u64, u64)> {
        None
    }
    /// For the platform's own downcasts.
    fn as_any(&self) -> &dyn std::any::Any;
}

/// A handle other threads use to make a running `switch` return soon.
pub trait Interrupter: Send + Sync {
    fn interrupt(&self);
}

pub trait Context: Send {
    /// Run application code in `aspace` with `regs` and `fp` until something
    /// needs the kernel. On return `regs` holds the application's registers.
    fn switch(
        &mut self,
        aspace: &Arc<dyn AddressSpace>,
        regs: &mut Regs,
        fp: &mut FpState,
    ) -> Result<Exit>;
    /// Bring `fp` up to date with the state the application last ran with.
    fn sync_fp(&mut self, fp: &mut FpState) -> Result<()>;
    /// The handle for `interrupt()` from other threads.
    fn interrupter(&self) -> Arc<dyn Interrupter>;
    /// Give up the host execution slots this context holds. Called before
    /// its thread ends; also done on drop.
    fn release(&mut self);
}
