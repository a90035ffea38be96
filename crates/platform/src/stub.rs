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
//!   to `idle` — or, for the systrap platform (r15 != 0), to its thread
//!   set-up; used to fork new stub processes from the master and new
//!   threads in a stub.
//! - systrap only (`crate::systrap`): the thread set-up (map the thread's
//!   slot, signal stack, handlers and seccomp filter for a new process,
//!   signal mask, then trap into the handler), and the signal handler that
//!   hands the interrupted application over to the Sentry through the
//!   slot's message page (`systrap/layout.rs`) and runs its requests.
//!
//! The page is shared by both platforms: a systrap stub process's seccomp
//! filter allows host syscalls only from this page.

use crate::ptrace::sys::Pid;
use crate::systrap::layout as msg;
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
    ".Lnew_stub:",
    "mov eax, 157", // prctl(PR_SET_PDEATHSIG, SIGKILL)
    "mov edi, 1",
    "mov esi, 9",
    "syscall",
    "mov eax, 110", // getppid()
    "syscall",
    "cmp rax, r12",
    "jne .Lorphan",
    "test r15, r15", // r15 != 0: a systrap stub thread
    "jnz .Lsystrap_init",
    "jmp .Lidle",
    ".Lorphan:",
    "mov eax, 231", // exit_group(0)
    "xor edi, edi",
    "syscall",
    "jmp .Lidle",
    ".balign 8",
    "5:", // struct sigaction { SIG_IGN, 0, 0, 0 }
    ".quad 1, 0, 0, 0",
    // ---- systrap ----
    // A new systrap stub thread. r12 = master pid, r13 = its slot's
    // address, r14 = the slot's MemoryFile offset, r15 = INIT_THREAD or
    // INIT_PROCESS, rbp = the MemoryFile fd. Uses no stack.
    ".Lsystrap_init:",
    // The signal mask first: a thread cloned from a handler inherits the
    // handler's, where the signal being handled (perhaps SIGSYS) is blocked.
    "mov eax, 14", // rt_sigprocmask(SIG_SETMASK, &RUN_MASK, NULL, 8)
    "mov edi, 2",
    "lea rsi, [rip + .Lsystrap_mask]",
    "xor edx, edx",
    "mov r10d, 8",
    "syscall",
    "test rax, rax",
    "jnz .Lsystrap_die",
    "mov eax, 9", // mmap(slot, SLOT_SIZE, RW, MAP_SHARED|MAP_FIXED, memfd, frame)
    "mov rdi, r13",
    "mov esi, {slot}",
    "mov edx, 3",
    "mov r10d, 0x11",
    "mov r8, rbp",
    "mov r9, r14",
    "syscall",
    "cmp rax, r13",
    "jne .Lsystrap_die",
    "mov rbx, r13",
    "mov eax, 218", // set_tid_address(&msg.tid): cleared by the kernel when the thread ends
    "lea rdi, [rbx + {tid}]",
    "syscall",
    "mov [rbx + {tid}], eax",
    "lea rax, [rbx + 4096]", // sigaltstack(&{slot + 4096, 0, SLOT_SIZE - 4096}, NULL)
    "mov [rbx + {ss}], rax",
    "mov qword ptr [rbx + {ss} + 8], 0",
    "mov qword ptr [rbx + {ss} + 16], {slot} - 4096",
    "mov eax, 131",
    "lea rdi, [rbx + {ss}]",
    "xor esi, esi",
    "syscall",
    "test rax, rax",
    "jnz .Lsystrap_die",
    "cmp r15, {init_process}",
    "jne .Lsystrap_ready",
    // First thread of a new process: the handler for every handled signal
    // (the Sentry left the sigaction in the message page), no new
    // privileges, then the filter.
    "lea r12, [rip + .Lsystrap_signals]",
    ".Lsystrap_sigaction:",
    "movzx edi, byte ptr [r12]",
    "test edi, edi",
    "jz .Lsystrap_filter",
    "mov eax, 13", // rt_sigaction(sig, &msg.sigact, NULL, 8)
    "lea rsi, [rbx + {sigact}]",
    "xor edx, edx",
    "mov r10d, 8",
    "syscall",
    "test rax, rax",
    "jnz .Lsystrap_die",
    "inc r12",
    "jmp .Lsystrap_sigaction",
    ".Lsystrap_filter:",
    "mov eax, 157", // prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    "mov edi, 38",
    "mov esi, 1",
    "xor edx, edx",
    "xor r10d, r10d",
    "xor r8d, r8d",
    "syscall",
    "test rax, rax",
    "jnz .Lsystrap_die",
    "mov eax, 317", // seccomp(SECCOMP_SET_MODE_FILTER, 0, &msg.fprog)
    "mov edi, 1",
    "xor esi, esi",
    "lea rdx, [rbx + {fprog}]",
    "syscall",
    "test rax, rax",
    "jnz .Lsystrap_die",
    ".Lsystrap_ready:",
    "lea rsp, [rbx + {slot}]",
    "ud2", // SIGILL: into the handler, which reports the thread ready
    ".Lsystrap_die:",
    "mov eax, 231", // exit_group(1)
    "mov edi, 1",
    "syscall",
    "ud2",
    // The handler for every handled signal (SA_SIGINFO | SA_ONSTACK):
    // rdi = signo, rsi = &siginfo, rdx = &ucontext, rsp on the thread's
    // signal stack inside its slot; every register but rsp is free (the
    // application's are in the frame). Report, wait, run requests, return.
    ".globl rvisor_stub_systrap_handler",
    "rvisor_stub_systrap_handler:",
    "mov rbx, rsp",
    "and rbx, -{slot}", // the message page
    "mov [rbx + {signo}], edi",
    "mov [rbx + {info}], rsi",
    "mov [rbx + {uc}], rdx",
    "cmp dword ptr [rbx + {fsgs}], 0",
    "je .Lsh_post",
    "rdfsbase rax",
    "mov [rbx + {fsbase}], rax",
    "rdgsbase rax",
    "mov [rbx + {gsbase}], rax",
    ".Lsh_post:",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov [rbx + {event_tsc}], rax",
    "mov eax, {st_event}",
    "xchg [rbx + {state}], eax", // a full barrier before reading sentry_sleeping
    ".Lsh_notify:",
    "cmp dword ptr [rbx + {sentry_sleeping}], 0",
    "je .Lsh_wait",
    "mov eax, 202", // futex(&state, FUTEX_WAKE, 1)
    "lea rdi, [rbx + {state}]",
    "mov esi, 1",
    "mov edx, 1",
    "syscall",
    ".Lsh_wait:", // spin for msg.spin TSC ticks, then sleep
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov r12, rax",
    ".Lsh_spin:",
    "mov eax, [rbx + {state}]",
    "cmp eax, {st_run}",
    "je .Lsh_run",
    "cmp eax, {st_request}",
    "je .Lsh_request",
    "pause",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "sub rax, r12",
    "cmp rax, [rbx + {spin}]",
    "jb .Lsh_spin",
    ".Lsh_sleep:",
    "mov eax, 1",
    "xchg [rbx + {stub_sleeping}], eax",
    "mov edx, [rbx + {state}]",
    "cmp edx, {st_run}",
    "je .Lsh_awake",
    "cmp edx, {st_request}",
    "je .Lsh_awake",
    "mov eax, 202", // futex(&state, FUTEX_WAIT, seen, NULL)
    "lea rdi, [rbx + {state}]",
    "xor esi, esi",
    "xor r10d, r10d",
    "syscall",
    ".Lsh_awake:",
    "mov dword ptr [rbx + {stub_sleeping}], 0",
    "mov eax, [rbx + {state}]",
    "cmp eax, {st_run}",
    "je .Lsh_run",
    "cmp eax, {st_request}",
    "je .Lsh_request",
    "jmp .Lsh_sleep",
    // Requests: host syscalls the Sentry wants run in this process.
    ".Lsh_request:",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov [rbx + {resume_tsc}], rax",
    "mov dword ptr [rbx + {idx}], 0",
    ".Lsh_req_next:",
    "mov ecx, [rbx + {idx}]",
    "cmp ecx, [rbx + {nreq}]",
    "jae .Lsh_req_done",
    "shl ecx, 6",
    "lea rcx, [rbx + rcx + {reqs}]",
    "mov rax, [rcx]",
    "mov rdi, [rcx + 8]",
    "mov rsi, [rcx + 16]",
    "mov rdx, [rcx + 24]",
    "mov r10, [rcx + 32]",
    "mov r8, [rcx + 40]",
    "mov r9, [rcx + 48]",
    "cmp rax, 56",
    "je .Lsh_clone",
    "syscall",
    ".Lsh_req_result:",
    "mov ecx, [rbx + {idx}]",
    "shl ecx, 6",
    "mov [rbx + rcx + {reqs} + 56], rax",
    "add dword ptr [rbx + {idx}], 1",
    "jmp .Lsh_req_next",
    ".Lsh_clone:", // a new stub thread: it starts with the registers in msg.child
    "mov r12, [rbx + {child}]",
    "mov r13, [rbx + {child} + 8]",
    "mov r14, [rbx + {child} + 16]",
    "mov r15, [rbx + {child} + 24]",
    "mov rbp, [rbx + {child} + 32]",
    "syscall",
    "test rax, rax",
    "jnz .Lsh_req_result",
    "jmp .Lnew_stub",
    ".Lsh_req_done:",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov [rbx + {event_tsc}], rax",
    "mov eax, {st_done}",
    "xchg [rbx + {state}], eax",
    "jmp .Lsh_notify",
    // Back to the application: load fs/gs base if asked, then return
    // through the (edited) frame.
    ".Lsh_run:",
    "rdtsc",
    "shl rdx, 32",
    "or rax, rdx",
    "mov [rbx + {resume_tsc}], rax",
    "mov r12d, [rbx + {flags}]",
    "test r12d, r12d",
    "jz .Lsh_return",
    "mov dword ptr [rbx + {flags}], 0",
    "test r12d, {flag_fs}",
    "jz .Lsh_gs",
    "mov rsi, [rbx + {fsbase}]",
    "cmp dword ptr [rbx + {fsgs}], 0",
    "je .Lsh_fs_call",
    "wrfsbase rsi",
    "jmp .Lsh_gs",
    ".Lsh_fs_call:",
    "mov eax, 158", // arch_prctl(ARCH_SET_FS, base)
    "mov edi, 0x1002",
    "syscall",
    ".Lsh_gs:",
    "test r12d, {flag_gs}",
    "jz .Lsh_return",
    "mov rsi, [rbx + {gsbase}]",
    "cmp dword ptr [rbx + {fsgs}], 0",
    "je .Lsh_gs_call",
    "wrgsbase rsi",
    "jmp .Lsh_return",
    ".Lsh_gs_call:",
    "mov eax, 158", // arch_prctl(ARCH_SET_GS, base)
    "mov edi, 0x1001",
    "syscall",
    ".Lsh_return:",
    "mov rsp, [rbx + {uc}]",
    ".globl rvisor_stub_systrap_restorer",
    "rvisor_stub_systrap_restorer:",
    "mov eax, 15", // rt_sigreturn
    "syscall",
    "ud2",
    ".Lsystrap_signals:",
    ".byte {s0}, {s1}, {s2}, {s3}, {s4}, {s5}, {s6}, 0",
    ".balign 8",
    ".Lsystrap_mask:",
    ".quad {run_mask}",
    ".balign 4096",
    ".globl rvisor_stub_end",
    "rvisor_stub_end:",
    ".Lend:",
    ".popsection",
    slot = const msg::SLOT_SIZE,
    tid = const msg::TID,
    ss = const msg::SS,
    init_process = const msg::INIT_PROCESS,
    sigact = const msg::SIGACT,
    fprog = const msg::FPROG,
    signo = const msg::SIGNO,
    info = const msg::INFO,
    uc = const msg::UC,
    fsgs = const msg::FSGS,
    fsbase = const msg::FSBASE,
    gsbase = const msg::GSBASE,
    state = const msg::STATE,
    sentry_sleeping = const msg::SENTRY_SLEEPING,
    stub_sleeping = const msg::STUB_SLEEPING,
    spin = const msg::SPIN,
    event_tsc = const msg::EVENT_TSC,
    resume_tsc = const msg::RESUME_TSC,
    idx = const msg::IDX,
    nreq = const msg::NREQ,
    reqs = const msg::REQS,
    child = const msg::CHILD,
    flags = const msg::FLAGS,
    flag_fs = const msg::FLAG_SET_FS,
    flag_gs = const msg::FLAG_SET_GS,
    st_event = const msg::ST_EVENT,
    st_run = const msg::ST_RUN,
    st_request = const msg::ST_REQUEST,
    st_done = const msg::ST_DONE,
    run_mask = const msg::RUN_MASK,
    s0 = const msg::HANDLED[0],
    s1 = const msg::HANDLED[1],
    s2 = const msg::HANDLED[2],
    s3 = const msg::HANDLED[3],
    s4 = const msg::HANDLED[4],
    s5 = const msg::HANDLED[5],
    s6 = const msg::HANDLED[6],
);

extern "C" {
    static rvisor_stub_begin: u8;
    static rvisor_stub_end: u8;
    static rvisor_stub_idle: u8;
    static rvisor_stub_syscall: u8;
    static rvisor_stub_clone: u8;
    static rvisor_stub_systrap_handler: u8;
    static rvisor_stub_systrap_restorer: u8;
}

/// Where the stub page lives in every stub process.
#[derive(Debug, Clone, Copy)]
pub struct StubPage {
    pub addr: u64,
    /// The idle loop (`pause`); a stub stopped there has finished its prologue.
    pub idle: u64,
    pub syscall: u64,
    pub clone: u64,
    /// systrap: the signal handler and its `sa_restorer`.
    pub systrap_handler: u64,
    pub systrap_restorer: u64,
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
    let (begin, end, idle, sc, cl, handler, restorer) = unsafe {
        (
            sym(&rvisor_stub_begin),
            sym(&rvisor_stub_end),
            sym(&rvisor_stub_idle),
            sym(&rvisor_stub_syscall),
            sym(&rvisor_stub_clone),
            sym(&rvisor_stub_systrap_handler),
            sym(&rvisor_stub_systrap_restorer),
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
                systrap_handler: addr + (handler - begin),
                systrap_restorer: addr + (restorer - begin),
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

/// CPU time of a stub process: (user, user + system) nanoseconds, from its
/// process CPU clocks ((~pid << 3) | {0: PROF, 1: VIRT}).
pub fn process_cpu_time(pid: Pid) -> Option<(u64, u64)> {
    let clock = |kind: i32| -> Option<u64> {
        let id = ((!pid) << 3) | kind;
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec to a valid out-pointer.
        let r = unsafe { libc::clock_gettime(id, &mut ts) };
        (r == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
    };
    Some((clock(1)?, clock(0)?))
}
