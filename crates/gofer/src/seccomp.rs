//! The Gofer's seccomp allowlist, as data: one row per syscall, with the
//! argument it is limited to, if any. Installed after confinement and
//! before the first request is read; anything else kills the Gofer (the
//! Sentry then sees EIO on every file operation).
//!
//! A read-only Gofer (every tree read-only) gets no syscall that changes
//! a file, and its `openat` may neither create, truncate nor open for
//! writing — so even a Gofer taken over by a hostile Sentry cannot change
//! the host's files.

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;
use std::os::fd::RawFd;

/// What one row allows.
#[derive(Clone, Copy, Debug)]
pub enum Allow {
    /// Any arguments.
    Always,
    /// Only on the connection's socket (argument 0).
    OnSocket,
    /// Only when `arg & mask == value`.
    Masked { arg: u8, mask: u64, value: u64 },
    /// Only when argument `arg` equals `value`.
    Eq { arg: u8, value: u64 },
    /// Only when argument `arg` is one of `values`.
    OneOf { arg: u8, values: &'static [u64] },
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    pub nr: i64,
    pub name: &'static str,
    pub allow: Allow,
    /// Only in a Gofer serving a writable tree.
    pub writes: bool,
}

const fn row(nr: i64, name: &'static str, allow: Allow) -> Row {
    Row {
        nr,
        name,
        allow,
        writes: false,
    }
}

const fn write_row(nr: i64, name: &'static str) -> Row {
    Row {
        nr,
        name,
        allow: Allow::Always,
        writes: true,
    }
}

/// Flags an `openat` of a read-only Gofer must not carry.
const OPEN_WRITE_BITS: u64 = (libc::O_ACCMODE | libc::O_CREAT | libc::O_TRUNC) as u64;

/// The table. Comments say who needs the call.
pub const TABLE: &[Row] = &[
    // The connection.
    row(libc::SYS_recvmsg, "recvmsg", Allow::OnSocket),
    row(libc::SYS_sendmsg, "sendmsg", Allow::OnSocket),
    // Walks, opens, attributes, listings (every path argument is one
    // component relative to a held fd; the server checks that).
    row(libc::SYS_statx, "statx", Allow::Always),
    row(libc::SYS_newfstatat, "newfstatat", Allow::Always),
    row(libc::SYS_fstat, "fstat", Allow::Always),
    row(libc::SYS_fstatfs, "fstatfs", Allow::Always),
    row(libc::SYS_getdents64, "getdents64", Allow::Always),
    row(libc::SYS_lseek, "lseek", Allow::Always),
    row(libc::SYS_readlinkat, "readlinkat", Allow::Always),
    row(libc::SYS_pread64, "pread64", Allow::Always),
    // Extended attributes, on fds of files opened by name (Txattrwalk).
    row(libc::SYS_fgetxattr, "fgetxattr", Allow::Always),
    row(libc::SYS_flistxattr, "flistxattr", Allow::Always),
    row(libc::SYS_close, "close", Allow::Always),
    // Duplicating held fds; F_GETFD is how Rust's debug builds check an
    // fd before closing it.
    row(
        libc::SYS_fcntl,
        "fcntl(F_DUPFD_CLOEXEC, F_GETFD)",
        Allow::OneOf {
            arg: 1,
            values: &[libc::F_DUPFD_CLOEXEC as u64, libc::F_GETFD as u64],
        },
    ),
    // Memory for the allocator; exiting; error messages on stderr.
    row(libc::SYS_mmap, "mmap", Allow::Always),
    row(libc::SYS_munmap, "munmap", Allow::Always),
    row(libc::SYS_mremap, "mremap", Allow::Always),
    row(libc::SYS_brk, "brk", Allow::Always),
    row(libc::SYS_madvise, "madvise", Allow::Always),
    row(libc::SYS_futex, "futex", Allow::Always),
    row(libc::SYS_rt_sigreturn, "rt_sigreturn", Allow::Always),
    row(libc::SYS_rt_sigprocmask, "rt_sigprocmask", Allow::Always),
    row(libc::SYS_sigaltstack, "sigaltstack", Allow::Always),
    row(libc::SYS_restart_syscall, "restart_syscall", Allow::Always),
    row(libc::SYS_clock_gettime, "clock_gettime", Allow::Always),
    row(libc::SYS_getrandom, "getrandom", Allow::Always),
    row(libc::SYS_sched_yield, "sched_yield", Allow::Always),
    row(libc::SYS_exit, "exit", Allow::Always),
    row(libc::SYS_exit_group, "exit_group", Allow::Always),
    row(libc::SYS_getpid, "getpid", Allow::Always),
    row(libc::SYS_gettid, "gettid", Allow::Always),
    row(libc::SYS_tgkill, "tgkill", Allow::Always),
    row(
        libc::SYS_write,
        "write(stderr)",
        Allow::Eq {
            arg: 0,
            value: libc::STDERR_FILENO as u64,
        },
    ),
    // Changing the tree (writable Gofers only).
    write_row(libc::SYS_pwrite64, "pwrite64"),
    write_row(libc::SYS_fsync, "fsync"),
    write_row(libc::SYS_fdatasync, "fdatasync"),
    write_row(libc::SYS_ftruncate, "ftruncate"),
    write_row(libc::SYS_mkdirat, "mkdirat"),
    write_row(libc::SYS_symlinkat, "symlinkat"),
    write_row(libc::SYS_mknodat, "mknodat"),
    write_row(libc::SYS_linkat, "linkat"),
    write_row(libc::SYS_renameat, "renameat"),
    write_row(libc::SYS_renameat2, "renameat2"),
    write_row(libc::SYS_unlinkat, "unlinkat"),
    write_row(libc::SYS_fchownat, "fchownat"),
    write_row(libc::SYS_fchmodat2, "fchmodat2"),
    write_row(libc::SYS_utimensat, "utimensat"),
    write_row(libc::SYS_fsetxattr, "fsetxattr"),
    write_row(libc::SYS_fremovexattr, "fremovexattr"),
];

fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Qword, op, value).map_err(|e| e.to_string())
}

/// The filter for a Gofer serving on `sock`; `writable`: some tree is.
pub fn program(sock: RawFd, writable: bool) -> Result<BpfProgram, String> {
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for r in TABLE.iter().filter(|r| writable || !r.writes) {
        // Each inner vector is one rule (its conditions all hold); the
        // rules of a syscall are alternatives.
        let alternatives: Vec<Vec<SeccompCondition>> = match r.allow {
            Allow::Always => Vec::new(),
            Allow::OnSocket => vec![vec![cond(0, SeccompCmpOp::Eq, sock as u64)?]],
            Allow::Eq { arg, value } => vec![vec![cond(arg, SeccompCmpOp::Eq, value)?]],
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
    // openat: a read-only Gofer opens only for reading.
    let open_rules = if writable {
        Vec::new()
    } else {
        vec![
            SeccompRule::new(vec![cond(2, SeccompCmpOp::MaskedEq(OPEN_WRITE_BITS), 0)?])
                .map_err(|e| e.to_string())?,
        ]
    };
    rules.insert(libc::SYS_openat, open_rules);
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::KillProcess,
        SeccompAction::Allow,
        TargetArch::x86_64,
    )
    .map_err(|e| e.to_string())?;
    BpfProgram::try_from(filter).map_err(|e| e.to_string())
}

/// Installs the filter on the calling thread (the Gofer has one).
pub fn install(sock: RawFd, writable: bool) -> Result<(), String> {
    let prog = program(sock, writable)?;
    seccompiler::apply_filter(&prog).map_err(|e| format!("seccomp: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_compile() {
        assert!(program(3, false).is_ok());
        assert!(program(3, true).is_ok());
        let mut seen = std::collections::HashSet::new();
        for r in TABLE {
            assert!(seen.insert(r.nr), "{} listed twice", r.name);
        }
    }
}
