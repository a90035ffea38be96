//! The stub: the only code that exists in an application's host process
//! besides the application itself.
//!
//! It is position-independent machine code, one page long, copied at start-up
//! to a fixed page at the top of the user address space. Every stub process
//! contains exactly that page plus the MemoryFile frames the Sentry maps in.
//!
//! Entry points (offsets into the page):
//! - `init`: run by the first ("master") stub right after the Sentry forks it:
//!   new session (no terminal signals), die with the Sentry, auto-reap
//!   children, close every fd but the MemoryFile, unmap everything but this
//!   page, stop for the tracer, then idle.
//! - `idle`: `pause()` forever; untraced stub threads wait here.
//! - `syscall`: `syscall; int3` — the tracer injects a syscall and gets the
//!   result at the trap.
//! - `clone`: like `syscall`, but a child (rax = 0) sets PR_SET_PDEATHSIG,
//!   checks that its parent is still the master stub (pid in r12) and goes
//!   to `idle`; used to fork new stub processes from the master and new
//!   threads in a stub.

use super::sys::Pid;
use abi::PAGE_SIZE;
use std::sync::OnceLock;

/// Highest user address + 1 on x86-64 with 4-level paging.
pub const TASK_SIZE: u64 = 0x7fff_ffff_f000;

std::arch::global_asm!(
    ".pushsection .text.rvisor_stub, \"ax\", @progbits",
    ".balign 4096",
    ".globl rvisor_stub_begin",
    "rvisor_stub_begin:",
    ".Lbegin:",
    // init: r12 = MemoryFile fd, r14/r15 = the forking thread's rseq area and size (r14 = 0: none).
    // The rseq area is about to be unmapped; the kernel would fault on it.
    "test r14, r14",
    "jz 3f",
    "mov eax, 334", // rseq(area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG)
    "mov rdi, r14",
    "mov esi, 32",
    "mov edx, 1",
    "mov r10d, 0x53053053",
    "syscall",
    "test rax, rax",
    "jz 3f",
    "mov eax, 334", // rseq(area, __rseq_size, ...)
    "mov rdi, r14",
    "mov rsi, r15",
    "mov edx, 1",
    "mov r10d, 0x53053053",
    "syscall",
    "3:",
    "mov eax, 112", // setsid
    "syscall",
    "mov eax, 157", // prctl(PR_SET_PDEATHSIG, SIGKILL)
    "mov edi, 1",
    "mov esi, 9",
    "syscall",
    "mov eax, 13", // rt_sigaction(SIGCHLD, &ign, NULL, 8)
    "mov edi, 17",
    "lea rsi, [rip + 5f]",
    "xor edx, edx",
    "mov r10d, 8",
    "syscall",
    "test r12, r12", // close_range(0, fd - 1, 0)
    "jz 1f",
    "mov eax, 436",
    "xor edi, edi",
    "lea rsi, [r12 - 1]",
    "xor edx, edx",
    "syscall",
    "1:",
    "mov eax, 436", // close_range(fd + 1, ~0, 0)
    "lea rdi, [r12 + 1]",
    "mov esi, 0xffffffff",
    "xor edx, edx",
    "syscall",
    "mov eax, 11", // munmap(0, begin)
    "xor edi, edi",
    "lea rsi, [rip + .Lbegin]",
    "syscall",
    "mov eax, 11", // munmap(end, TASK_SIZE - end)
    "lea rdi, [rip + .Lend]",
    "mov rsi, 0x7ffffffff000",
    "sub rsi, rdi",
    "syscall",
    "mov eax, 39", // kill(getpid(), SIGSTOP): wait for the tracer
    "syscall",
    "mov edi, eax",
    "mov eax, 62",
    "mov esi, 19",
    "syscall",
    ".globl rvisor_stub_idle",
    "rvisor_stub_idle:",
    ".Lidle:",
    "mov eax, 34", // pause()
    "syscall",
    "jmp .Lidle",
    ".globl rvisor_stub_syscall",
    "rvisor_stub_syscall:",
    "syscall",
    "int3",
    "jmp .Lidle",
    ".globl rvisor_stub_clone",
    "rvisor_stub_clone:",
    "syscall",
    "test rax, rax",
    "jz 4f",
    "int3",
    "jmp .Lidle",
    // A new stub (process or thread): die with the master stub from the
    // start (r12 holds the master's pid), and exit if it is already gone.
    "4:",
    "mov eax, 157", // prctl(PR_SET_PDEATHSIG, SIGKILL)
    "mov edi, 1",
    "mov esi, 9",
    "syscall",
    "mov eax, 110", // getppid()
    "syscall",
    "cmp rax, r12",
    "je .Lidle",
    "mov eax, 231", // exit_group(0)
    "xor edi, edi",
    "syscall",
    "jmp .Lidle",
    ".balign 8",
    "5:", // struct sigaction { SIG_IGN, 0, 0, 0 }
    ".quad 1, 0, 0, 0",
    ".balign 4096",
    ".globl rvisor_stub_end",
    "rvisor_stub_end:",
    ".Lend:",
    ".popsection",
);

extern "C" {
    static rvisor_stub_begin: u8;
    static rvisor_stub_end: u8;
    static rvisor_stub_idle: u8;
    static rvisor_stub_syscall: u8;
    static rvisor_stub_clone: u8;
}

/// Where the stub page lives in every stub process.
#[derive(Debug, Clone, Copy)]
pub struct StubPage {
    pub addr: u64,
    /// The idle loop (`pause`); a stub stopped there has finished its prologue.
    pub idle: u64,
    pub syscall: u64,
    pub clone: u64,
}

fn sym(s: &u8) -> u64 {
    s as *const u8 as u64
}

static PAGE: OnceLock<Result<StubPage, String>> = OnceLock::new();

/// Copy the stub code to its fixed page in the Sentry (once).
pub fn page() -> Result<StubPage, String> {
    PAGE.get_or_init(install).clone()
}

fn install() -> Result<StubPage, String> {
    // SAFETY: taking the addresses of linker symbols defined in the asm above.
    let (begin, end, idle, sc, cl) = unsafe {
        (
            sym(&rvisor_stub_begin),
            sym(&rvisor_stub_end),
            sym(&rvisor_stub_idle),
            sym(&rvisor_stub_syscall),
            sym(&rvisor_stub_clone),
        )
    };
    if end - begin != PAGE_SIZE {
        return Err(format!("stub is {} bytes, expected one page", end - begin));
    }
    // Try a few pages near the top of the address space; the Sentry's own
    // stack or vDSO may occupy one of them.
    let mut addr = TASK_SIZE - 16 * 1024 * 1024;
    for _ in 0..256 {
        // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping.
        let p = unsafe {
            libc::mmap(
                addr as *mut libc::c_void,
                PAGE_SIZE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        if p != libc::MAP_FAILED && p as u64 == addr {
            // SAFETY: `p` is a fresh page of ours; the source is the one-page stub in our text.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    begin as *const u8,
                    p.cast::<u8>(),
                    PAGE_SIZE as usize,
                );
                libc::mprotect(p, PAGE_SIZE as usize, libc::PROT_READ | libc::PROT_EXEC);
            }
            return Ok(StubPage {
                addr,
                idle: addr + (idle - begin),
                syscall: addr + (sc - begin),
                clone: addr + (cl - begin),
            });
        }
        if p != libc::MAP_FAILED {
            // SAFETY: unmapping the page we just got at the wrong address.
            unsafe { libc::munmap(p, PAGE_SIZE as usize) };
        }
        addr -= 2 * 1024 * 1024;
    }
    Err("no free page for the stub at the top of the address space".into())
}

/// Fork the master stub from the Sentry. The child runs only stub code: it
/// jumps straight to `init` with the MemoryFile fd in r12.
pub fn fork_master(page: &StubPage, memfd: i32) -> Result<Pid, abi::Errno> {
    let (rseq_area, rseq_size) = rseq_area();
    let ret: i64;
    // SAFETY: a raw fork. The parent continues normally. The child executes
    // nothing but the stub page (mapped in both, identical after fork), which
    // uses no memory besides itself, so the state of other Sentry threads at
    // the time of the fork does not matter.
    unsafe {
        std::arch::asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "jmp r13",
            "2:",
            inlateout("rax") libc::SYS_clone => ret,
            in("rdi") libc::SIGCHLD as u64,
            in("rsi") 0u64,
            in("rdx") 0u64,
            in("r10") 0u64,
            in("r8") 0u64,
            in("r12") memfd as u64,
            in("r13") page.addr,
            in("r14") rseq_area,
            in("r15") rseq_size,
            lateout("rcx") _,
            lateout("r11") _,
        );
    }
    abi::Errno::from_ret(ret).map(|p| p as Pid)
}

extern "C" {
    /// glibc (2.35+): offset of the thread's rseq area from the thread pointer.
    static __rseq_offset: isize;
    /// glibc (2.35+): size of the registered rseq area, 0 if rseq is not in use.
    static __rseq_size: u32;
}

/// The calling thread's registered rseq area, as glibc registered it.
fn rseq_area() -> (u64, u64) {
    // SAFETY: reading two constants glibc initialises before main.
    let (off, size) = unsafe { (__rseq_offset, __rseq_size) };
    if size == 0 {
        return (0, 0);
    }
    let tp: u64;
    // SAFETY: on x86-64 glibc, fs:0 holds the thread pointer (TCB self-pointer).
    unsafe {
        std::arch::asm!("mov {}, fs:0", out(reg) tp, options(nostack, readonly, preserves_flags))
    };
    (tp.wrapping_add(off as u64), size as u64)
}
