//! The Sentry's seccomp allowlist, as data (design §13.3): one row per
//! host syscall the sandbox process may make once it is locked down, with
//! the argument it is limited to, if any, and who needs it. Anything else
//! kills the whole sandbox process (SECCOMP_RET_KILL_PROCESS; the kernel
//! logs the syscall number as an audit record, `dmesg | grep 'type=1326'`),
//! which takes the stubs, the Gofer and the container with it.
//!
//! Installed with TSYNC on every thread of the Sentry once its kernel is
//! built and before the control server answers — so before `start` can
//! run any application code. The stub processes were forked before and do
//! not inherit it (they are ptrace-controlled; their syscalls are the
//! application's, emulated, or ours, injected).
//!
//! The set was found with `strace -f -c` attached to `runsc boot` once its
//! stubs exist (attaching earlier would take the stubs from the Sentry),
//! and with this table as a SECCOMP_RET_LOG filter under the whole test
//! suite. `tests/run` keeps it honest: it runs the differential suite a
//! second time with `RVISOR_SENTRY_SECCOMP=1`, which makes `runsc do`
//! install these filters too, so any host call the Sentry gains kills a
//! case. This is the Sentry's table as `gofer::seccomp::TABLE` is the
//! Gofer's.

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// What one row allows.
#[derive(Clone, Copy, Debug)]
pub enum Allow {
    /// Any arguments.
    Always,
    /// Only when argument `arg` is one of `values`.
    OneOf { arg: u8, values: &'static [u64] },
    /// Only when `arg & mask == value`.
    Masked { arg: u8, mask: u64, value: u64 },
    /// Not made: answered with this errno (for calls libraries make on
    /// their own, whose failure they handle).
    Answer(u32),
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub nr: i64,
    pub name: &'static str,
    pub allow: Allow,
}

const fn row(nr: i64, name: &'static str) -> Row {
    Row {
        nr,
        name,
        allow: Allow::Always,
    }
}

const fn answer(nr: i64, name: &'static str, errno: i32) -> Row {
    Row {
        nr,
        name,
        allow: Allow::Answer(errno as u32),
    }
}

const fn one_of(nr: i64, name: &'static str, arg: u8, values: &'static [u64]) -> Row {
    Row {
        nr,
        name,
        allow: Allow::OneOf { arg, values },
    }
}

/// clone(2) flags of a new thread (what glibc's pthread_create passes).
const THREAD_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as u64;

/// mmap/mprotect: never executable memory (the Sentry runs no code it
/// did not start with; the stubs' code page is mapped into them by
/// injection, not here).
const NO_EXEC: Allow = Allow::Masked {
    arg: 2,
    mask: libc::PROT_EXEC as u64,
    value: 0,
};

/// ioctls on donated host fds: a terminal's attributes (rustix uses the
/// termios2 forms) and size, mirrored from the sandbox's terminal; bytes
/// waiting; flushing; FIONBIO and FIOCLEX, which the standard library uses
/// on its own fds.
const IOCTLS: &[u64] = &[
    libc::TCGETS,
    libc::TCSETS,
    libc::TCSETSW,
    libc::TCSETSF,
    libc::TCGETS2,
    libc::TCSETS2,
    libc::TCSETSW2,
    libc::TCSETSF2,
    libc::TIOCGWINSZ,
    libc::TIOCSWINSZ,
    libc::FIONREAD,
    libc::TCFLSH,
    libc::FIONBIO,
    libc::FIOCLEX,
];

/// fcntl: fd flags, status flags (O_NONBLOCK, O_APPEND of host fds), and
/// duplicating held fds.
const FCNTLS: &[u64] = &[
    libc::F_GETFD as u64,
    libc::F_SETFD as u64,
    libc::F_GETFL as u64,
    libc::F_SETFL as u64,
    libc::F_DUPFD_CLOEXEC as u64,
];

/// The Sentry's table. Comments say who needs the calls.
pub const TABLE: &[Row] = &[
    // Memory: the allocator (brk, mmap), thread stacks, the MemoryFile's
    // mappings in the Sentry, frames decommitted (fallocate punching holes)
    // and checked (mincore), frame-to-frame copies (copy_file_range).
    Row {
        nr: libc::SYS_mmap,
        name: "mmap(no PROT_EXEC)",
        allow: NO_EXEC,
    },
    Row {
        nr: libc::SYS_mprotect,
        name: "mprotect(no PROT_EXEC)",
        allow: NO_EXEC,
    },
    row(libc::SYS_munmap, "munmap"),
    row(libc::SYS_mremap, "mremap"),
    row(libc::SYS_madvise, "madvise"),
    row(libc::SYS_mincore, "mincore"),
    row(libc::SYS_brk, "brk"),
    row(libc::SYS_fallocate, "fallocate"),
    row(libc::SYS_ftruncate, "ftruncate"),
    row(libc::SYS_copy_file_range, "copy_file_range"),
    // Host fds: donated by the Gofer (files, read and written straight
    // into MemoryFile frames with the vectored calls) and by the caller
    // (stdio, terminals, pipes), the Gofer and control sockets.
    row(libc::SYS_read, "read"),
    row(libc::SYS_write, "write"),
    row(libc::SYS_pread64, "pread64"),
    row(libc::SYS_pwrite64, "pwrite64"),
    row(libc::SYS_readv, "readv"),
    row(libc::SYS_writev, "writev"),
    row(libc::SYS_preadv, "preadv"),
    row(libc::SYS_pwritev, "pwritev"),
    row(libc::SYS_lseek, "lseek"),
    row(libc::SYS_fstat, "fstat"),
    row(libc::SYS_newfstatat, "newfstatat"),
    row(libc::SYS_statx, "statx"),
    row(libc::SYS_fstatfs, "fstatfs"),
    row(libc::SYS_fsync, "fsync"),
    row(libc::SYS_fdatasync, "fdatasync"),
    row(libc::SYS_close, "close"),
    one_of(
        libc::SYS_fcntl,
        "fcntl(fd and status flags, F_DUPFD_CLOEXEC)",
        1,
        FCNTLS,
    ),
    one_of(
        libc::SYS_ioctl,
        "ioctl(terminal attributes and size, FIONREAD…)",
        1,
        IOCTLS,
    ),
    // Readiness of donated host fds (terminals, pipes) for the
    // application's poll/epoll: the host fd notifier thread.
    row(libc::SYS_ppoll, "ppoll"),
    row(libc::SYS_epoll_create1, "epoll_create1"),
    row(libc::SYS_epoll_ctl, "epoll_ctl"),
    row(libc::SYS_epoll_wait, "epoll_wait"),
    row(libc::SYS_epoll_pwait, "epoll_pwait"),
    // The Gofer's socket (9P messages, donated fds) and the control socket
    // (requests with stdio fds; answers).
    row(libc::SYS_sendmsg, "sendmsg"),
    row(libc::SYS_recvmsg, "recvmsg"),
    row(libc::SYS_sendto, "sendto"),
    row(libc::SYS_accept4, "accept4"),
    row(libc::SYS_shutdown, "shutdown"),
    // The sandbox's root is empty (see `emptyroot`): an open by path can
    // only fail. The C library opens /sys and /proc files on its own
    // (get_nprocs) and copes with their absence.
    answer(libc::SYS_openat, "openat (ENOENT)", libc::ENOENT),
    answer(libc::SYS_open, "open (ENOENT)", libc::ENOENT),
    // The ptrace platform: tracing the stubs, waiting for their stops,
    // interrupting and killing them (and reaping the Gofer: wait4).
    row(libc::SYS_ptrace, "ptrace"),
    row(libc::SYS_wait4, "wait4"),
    row(libc::SYS_kill, "kill"),
    row(libc::SYS_tgkill, "tgkill"),
    // Threads: one per application task, the stub factory, the control
    // server and its connections, host signals, the host fd notifier.
    // clone only with the flags of a thread (no new process: new stubs are
    // forked by the master stub, by injection); clone3, whose flags seccomp
    // cannot see, answers ENOSYS and the C library falls back to clone.
    Row {
        nr: libc::SYS_clone,
        name: "clone(thread)",
        allow: Allow::Masked {
            arg: 0,
            mask: THREAD_FLAGS,
            value: THREAD_FLAGS,
        },
    },
    answer(libc::SYS_clone3, "clone3 (ENOSYS)", libc::ENOSYS),
    row(libc::SYS_set_robust_list, "set_robust_list"),
    row(libc::SYS_rseq, "rseq"),
    row(libc::SYS_futex, "futex"),
    row(libc::SYS_sched_yield, "sched_yield"),
    row(libc::SYS_sched_getaffinity, "sched_getaffinity"),
    row(libc::SYS_getcpu, "getcpu"),
    one_of(
        libc::SYS_prctl,
        "prctl(PR_SET_NAME, PR_GET_NAME)",
        0,
        &[libc::PR_SET_NAME as u64, libc::PR_GET_NAME as u64],
    ),
    row(libc::SYS_gettid, "gettid"),
    row(libc::SYS_getpid, "getpid"),
    row(libc::SYS_exit, "exit"),
    row(libc::SYS_exit_group, "exit_group"),
    // Signals: host signals taken by one thread (sigwaitinfo), SIGCHLD
    // interrupting a stub, handlers of the fault-safe copies.
    row(libc::SYS_rt_sigaction, "rt_sigaction"),
    row(libc::SYS_rt_sigprocmask, "rt_sigprocmask"),
    row(libc::SYS_rt_sigreturn, "rt_sigreturn"),
    row(libc::SYS_rt_sigtimedwait, "rt_sigtimedwait"),
    row(libc::SYS_sigaltstack, "sigaltstack"),
    row(libc::SYS_restart_syscall, "restart_syscall"),
    // Time (CPU clocks of the stub threads are real syscalls; the rest is
    // the vDSO; the resolution of coarse clocks), sleeping, and host facts
    // passed on: the kernel release (uname), randomness, memory (sysinfo),
    // rlimits of new processes (`Limits::from_host`).
    row(libc::SYS_clock_gettime, "clock_gettime"),
    row(libc::SYS_clock_getres, "clock_getres"),
    row(libc::SYS_uname, "uname"),
    row(libc::SYS_clock_nanosleep, "clock_nanosleep"),
    row(libc::SYS_getrandom, "getrandom"),
    row(libc::SYS_sysinfo, "sysinfo"),
    row(libc::SYS_prlimit64, "prlimit64"),
];

fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Qword, op, value).map_err(|e| e.to_string())
}

/// The allowlist as a BPF program; `on_violation` is what any other call
/// gets (KillProcess; Log while tuning the table).
pub fn program(on_violation: SeccompAction) -> Result<BpfProgram, String> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for r in TABLE {
        let alternatives: Vec<Vec<SeccompCondition>> = match r.allow {
            // Let through here, answered by the `answers` filter.
            Allow::Always | Allow::Answer(_) => Vec::new(),
            Allow::OneOf { arg, values } => values
                .iter()
                .map(|&v| Ok(vec![cond(arg, SeccompCmpOp::Eq, v)?]))
                .collect::<Result<_, String>>()?,
            Allow::Masked { arg, mask, value } => {
                vec![vec![cond(arg, SeccompCmpOp::MaskedEq(mask), value)?]]
            }
        };
        let entry = rules.entry(r.nr).or_default();
        for c in alternatives {
            entry.push(SeccompRule::new(c).map_err(|e| e.to_string())?);
        }
    }
    let filter = SeccompFilter::new(
        rules,
        on_violation,
        SeccompAction::Allow,
        TargetArch::x86_64,
    )
    .map_err(|e| e.to_string())?;
    BpfProgram::try_from(filter).map_err(|e| e.to_string())
}

/// The rows answered with an errno: one filter per errno, everything
/// else passes (to the allowlist). Filters stack and the strictest answer
/// wins (KILL over ERRNO over ALLOW), so the allowlist lets these through
/// for the errno to be what the caller sees.
fn answers() -> Result<Vec<BpfProgram>, String> {
    let mut by_errno: BTreeMap<u32, BTreeMap<i64, Vec<SeccompRule>>> = BTreeMap::new();
    for r in TABLE {
        if let Allow::Answer(errno) = r.allow {
            by_errno.entry(errno).or_default().insert(r.nr, Vec::new());
        }
    }
    by_errno
        .into_iter()
        .map(|(errno, rules)| {
            let filter = SeccompFilter::new(
                rules,
                SeccompAction::Allow,
                SeccompAction::Errno(errno),
                TargetArch::x86_64,
            )
            .map_err(|e| e.to_string())?;
            BpfProgram::try_from(filter).map_err(|e| e.to_string())
        })
        .collect()
}

/// Install the filters on every thread of the process (TSYNC).
pub fn install() -> Result<(), String> {
    let allow = program(SeccompAction::KillProcess)?;
    for p in answers()? {
        seccompiler::apply_filter_all_threads(&p).map_err(|e| format!("seccomp: {e}"))?;
    }
    seccompiler::apply_filter_all_threads(&allow).map_err(|e| format!("seccomp: {e}"))?;
    tracing::debug!(
        "seccomp: {} syscalls allowed or answered, anything else kills the sandbox: {}",
        TABLE.len(),
        TABLE.iter().map(|r| r.name).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_compiles_and_is_unique() {
        assert!(program(SeccompAction::KillProcess).is_ok());
        assert_eq!(answers().map(|a| a.len()), Ok(2));
        let mut seen = std::collections::HashSet::new();
        for r in TABLE {
            assert!(seen.insert(r.nr), "{} listed twice", r.name);
        }
    }

    /// Run `probe` in a forked child under the filters; its wait status.
    fn under_filters(probe: fn() -> i32) -> i32 {
        // Built before the fork: the child of a multi-threaded test
        // process only makes raw syscalls.
        let allow = program(SeccompAction::KillProcess).expect("allowlist");
        let answers = answers().expect("answers");
        // SAFETY: the child only calls setrlimit, prctl/seccomp (through
        // seccompiler, on programs built above) and raw syscalls, then _exit.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork");
        if pid == 0 {
            // No core file for the SIGSYS the probes expect.
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: setrlimit with a valid struct.
            unsafe { libc::setrlimit(libc::RLIMIT_CORE, &none) };
            for p in &answers {
                if seccompiler::apply_filter(p).is_err() {
                    // SAFETY: leaving the forked child.
                    unsafe { libc::_exit(100) };
                }
            }
            if seccompiler::apply_filter(&allow).is_err() {
                // SAFETY: as above.
                unsafe { libc::_exit(101) };
            }
            let code = probe();
            // SAFETY: as above.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child with a valid status pointer.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        status
    }

    fn errno() -> i32 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
    }

    #[test]
    fn answers_and_allows() {
        let st = under_filters(|| {
            // SAFETY: raw syscalls with valid (or deliberately null) arguments.
            unsafe {
                if libc::syscall(libc::SYS_openat, libc::AT_FDCWD, c"/".as_ptr(), 0) != -1
                    || errno() != libc::ENOENT
                {
                    return 1;
                }
                if libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0) != -1
                    || errno() != libc::ENOSYS
                {
                    return 2;
                }
                if libc::syscall(libc::SYS_getpid) <= 0 {
                    return 3;
                }
            }
            0
        });
        assert!(
            libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0,
            "status {st:#x}"
        );
    }

    #[test]
    fn anything_else_kills() {
        fn socket() -> i32 {
            // SAFETY: a raw syscall with integer arguments.
            unsafe { libc::syscall(libc::SYS_socket, libc::AF_INET, libc::SOCK_STREAM, 0) };
            0
        }
        fn exec_memory() -> i32 {
            // SAFETY: an anonymous mapping; never used.
            unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    4096,
                    libc::PROT_READ | libc::PROT_EXEC,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            0
        }
        fn fork_process() -> i32 {
            // SAFETY: a raw fork-like clone; the child would _exit at once.
            if unsafe { libc::syscall(libc::SYS_clone, libc::SIGCHLD, 0, 0, 0, 0) } == 0 {
                // SAFETY: leaving the (never expected) child.
                unsafe { libc::_exit(0) };
            }
            0
        }
        for probe in [socket as fn() -> i32, exec_memory, fork_process] {
            let st = under_filters(probe);
            assert!(
                libc::WIFSIGNALED(st) && libc::WTERMSIG(st) == libc::SIGSYS,
                "status {st:#x}"
            );
        }
    }
}
