//! Where things are in a systrap stub process, and the layout of a stub
//! thread's message page. Shared by the stub's machine code (`crate::stub`,
//! as `const` operands of its assembly) and the Sentry side.
//!
//! Every stub thread owns one *slot*: `SLOT_SIZE` bytes of MemoryFile frames
//! mapped at `slot_addr(i)` in its process. The first page is the message
//! page; the rest is the thread's signal stack (`sigaltstack`), where the
//! kernel writes the signal frame — registers, siginfo and the XSAVE area
//! of the interrupted application — that the Sentry then reads and edits in
//! place through the MemoryFile. Slots are `SLOT_SIZE`-aligned, so the
//! handler finds its message page from its stack pointer alone.

/// Bytes per stub thread: one message page and a 28 KiB signal stack.
pub const SLOT_SIZE: u64 = 32 * 1024;
/// Stub threads per stub process (slot indices).
pub const MAX_SLOTS: u64 = 4096;

/// The lowest slot address, below the stub code page at `page_addr`; also
/// the end of the application's part of the address space.
pub fn slots_base(page_addr: u64) -> u64 {
    (page_addr - MAX_SLOTS * SLOT_SIZE) & !(SLOT_SIZE - 1)
}

pub fn slot_addr(page_addr: u64, slot: u32) -> u64 {
    slots_base(page_addr) + slot as u64 * SLOT_SIZE
}

// Message page offsets. "S→" is written by the Sentry, "→S" by the stub.

/// u32, the futex word: one of the `ST_*` states.
pub const STATE: u64 = 0;
/// u32 →S: the stub thread sleeps (or is about to) in FUTEX_WAIT.
pub const STUB_SLEEPING: u64 = 4;
/// u32 S→: the Sentry sleeps (or is about to) in FUTEX_WAIT.
pub const SENTRY_SLEEPING: u64 = 8;
/// u32 →S: the signal that entered the handler.
pub const SIGNO: u64 = 12;
/// u64 →S: address of the frame's siginfo.
pub const INFO: u64 = 16;
/// u64 →S: address of the frame's ucontext (also where `rt_sigreturn`
/// expects the stack pointer).
pub const UC: u64 = 24;
/// u64 both ways: fs base (read by the handler when FSGSBASE is usable;
/// loaded by it when `FLAGS` says so).
pub const FSBASE: u64 = 32;
pub const GSBASE: u64 = 40;
/// u32 S→: `FLAG_SET_FS | FLAG_SET_GS` — bases to load before returning.
pub const FLAGS: u64 = 48;
/// u32 S→: non-zero if rd/wr{fs,gs}base may be used.
pub const FSGS: u64 = 52;
/// u64 S→: TSC ticks the stub spins before it sleeps.
pub const SPIN: u64 = 56;
/// u32 S→: number of requests.
pub const NREQ: u64 = 64;
/// u32: the stub's loop index over the requests.
pub const IDX: u64 = 68;
/// u32: the thread's tid; the kernel clears it when the thread ends
/// (`set_tid_address`), so the Sentry knows when a slot is free again.
pub const TID: u64 = 72;
/// 5 × u64 S→: r12, r13, r14, r15, rbp for a thread made by a `clone`
/// request (master pid, slot address, slot frame, 1, MemoryFile fd).
pub const CHILD: u64 = 80;
/// `stack_t` scratch for the thread's `sigaltstack`.
pub const SS: u64 = 128;
/// `struct sigaction` S→: the handler, for a new process to install.
pub const SIGACT: u64 = 160;
/// `struct sock_fprog` S→: the seccomp filter, for a new process to install.
pub const FPROG: u64 = 192;
/// u64 →S: TSC when the stub last reported (EVENT or DONE).
pub const EVENT_TSC: u64 = 240;
/// u64 →S: TSC when the stub last saw RUN or REQUEST.
pub const RESUME_TSC: u64 = 248;
/// Requests: `MAX_REQS` × { nr, args[6], result } (64 bytes each).
pub const REQS: u64 = 256;
pub const MAX_REQS: usize = 32;
pub const REQ_SIZE: u64 = 64;
/// The seccomp filter program (`struct sock_filter`s).
pub const FILTER: u64 = REQS + MAX_REQS as u64 * REQ_SIZE;
pub const MAX_FILTER: usize = ((4096 - FILTER) / 8) as usize;

// States of the `STATE` word; a fresh page holds 0 (not reported yet).
/// →S: the thread entered its handler; the frame is ready to read.
pub const ST_EVENT: u32 = 1;
/// S→: load the (edited) frame and return to the application.
pub const ST_RUN: u32 = 2;
/// S→: run the requests, then report `ST_DONE`.
pub const ST_REQUEST: u32 = 3;
/// →S: the requests ran; results are in place.
pub const ST_DONE: u32 = 4;

pub const FLAG_SET_FS: u32 = 1;
pub const FLAG_SET_GS: u32 = 2;

/// Values of r15 on entry to the stub's systrap thread set-up.
pub const INIT_THREAD: u64 = 1;
pub const INIT_PROCESS: u64 = 2;

/// The signal `Interrupter::interrupt` sends; the stub handles it like a
/// trap, so the application stops and the Sentry sees `Exit::Interrupted`.
pub const SIG_INTERRUPT: i32 = libc::SIGURG;

/// Signals the stub handles (the first six are synchronous traps and
/// SIGSYS; the kernel must never find them blocked).
pub const HANDLED: [i32; 7] = [
    libc::SIGSYS,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGTRAP,
    SIG_INTERRUPT,
];

const fn bit(sig: i32) -> u64 {
    1 << (sig - 1)
}

const SYNC: u64 = bit(libc::SIGSYS)
    | bit(libc::SIGSEGV)
    | bit(libc::SIGBUS)
    | bit(libc::SIGFPE)
    | bit(libc::SIGILL)
    | bit(libc::SIGTRAP);

/// The host signal mask while application code runs: everything blocked
/// but the handled signals.
pub const RUN_MASK: u64 = !(SYNC | bit(SIG_INTERRUPT));
/// The mask while the handler runs (`sa_mask`): the interrupt signal waits
/// until the application runs again; a synchronous signal must never be
/// blocked (the kernel would reset its handler and kill the process).
pub const HANDLER_MASK: u64 = !SYNC;

// Signal frame layout (x86-64 `struct rt_sigframe`), relative to the ucontext.
/// `uc_mcontext` (struct sigcontext, 256 bytes).
pub const UC_MCONTEXT: u64 = 40;
pub const SIGCONTEXT_SIZE: usize = 256;
/// `rt_sigframe.info` follows the 304-byte ucontext.
pub const UC_INFO: u64 = 304;
/// Offset of `fpstate` in struct sigcontext.
pub const SC_FPSTATE: usize = 184;
