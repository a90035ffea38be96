//! The syscall table: for every x86-64 syscall number, its handler (if
//! any), its support tier, and how `--strace` shows its arguments.
//!
//! Handlers only decode arguments and call into kernel, mm and vfs. Each
//! family lives in its own file and registers itself in [`Table::build`].

pub mod args;
pub mod attr;
pub mod blocking;
pub mod clone;
pub mod dir;
pub mod epoll;
pub mod eventfd;
pub mod fadvise;
pub mod fallocate;
pub mod fcntl_lock;
pub mod fd;
pub mod flock;
pub mod futex;
pub mod handle;
pub mod identity;
pub mod info;
pub mod inotify;
pub mod itimer;
pub mod kill;
pub mod memfd;
pub mod mmap;
pub mod mount;
pub mod namei;
pub mod open;
pub mod pidfd;
pub mod pipe;
pub mod pkey;
pub mod poll;
pub mod posix_timer;
pub mod process;
pub mod read_write;
pub mod rlimit;
pub mod rusage;
pub mod sched;
pub mod seccomp;
pub mod session;
pub mod signal;
pub mod signalfd;
pub mod sigwait;
pub mod socket;
pub mod socket_msg;
pub mod sockopt;
pub mod splice;
pub mod stat;
pub mod statfs;
pub mod sync;
pub mod sync_range;
pub mod sysv_msg;
pub mod sysv_sem;
pub mod sysv_shm;
pub mod time;
pub mod time_restart;
pub mod timerfd;
pub mod wait;
pub mod xattr;

pub use args::{Arg, SyscallArgs};

use crate::kernel::Task;
use abi::sysno;
use abi::Errno;

pub type SysResult = Result<u64, Errno>;
pub type Handler = fn(&mut Task, &SyscallArgs) -> SysResult;

/// How completely a syscall is supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Supported,
    /// Works for common uses; the note says what is missing.
    Partial(&'static str),
    /// Deliberately refused with this errno (e.g. privileged operations).
    Refused(Errno, &'static str),
    /// Returns ENOSYS.
    Unimplemented,
}

#[derive(Clone, Copy)]
pub struct Entry {
    pub name: &'static str,
    pub handler: Option<Handler>,
    pub tier: Tier,
    pub args: &'static [Arg],
}

pub struct Table {
    entries: Vec<Entry>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Table({} entries)", self.entries.len())
    }
}

impl Table {
    /// The full table, every family registered.
    pub fn build() -> Table {
        let entries = (0..sysno::COUNT)
            .map(|nr| Entry {
                name: sysno::NAMES[nr],
                handler: None,
                tier: Tier::Unimplemented,
                args: &[],
            })
            .collect();
        let mut t = Table { entries };
        read_write::register(&mut t);
        open::register(&mut t);
        stat::register(&mut t);
        namei::register(&mut t);
        attr::register(&mut t);
        dir::register(&mut t);
        sync::register(&mut t);
        clone::register(&mut t);
        wait::register(&mut t);
        futex::register(&mut t);
        kill::register(&mut t);
        sigwait::register(&mut t);
        session::register(&mut t);
        xattr::register(&mut t);
        statfs::register(&mut t);
        fallocate::register(&mut t);
        fadvise::register(&mut t);
        sync_range::register(&mut t);
        handle::register(&mut t);
        itimer::register(&mut t);
        posix_timer::register(&mut t);
        fd::register(&mut t);
        flock::register(&mut t);
        pipe::register(&mut t);
        pidfd::register(&mut t);
        socket::register(&mut t);
        socket_msg::register(&mut t);
        sockopt::register(&mut t);
        splice::register(&mut t);
        poll::register(&mut t);
        epoll::register(&mut t);
        eventfd::register(&mut t);
        signalfd::register(&mut t);
        timerfd::register(&mut t);
        inotify::register(&mut t);
        mmap::register(&mut t);
        pkey::register(&mut t);
        seccomp::register(&mut t);
        memfd::register(&mut t);
        sysv_shm::register(&mut t);
        sysv_sem::register(&mut t);
        sysv_msg::register(&mut t);
        mount::register(&mut t);
        process::register(&mut t);
        identity::register(&mut t);
        info::register(&mut t);
        rlimit::register(&mut t);
        sched::register(&mut t);
        signal::register(&mut t);
        time::register(&mut t);
        // After time: times(2) is rusage's.
        rusage::register(&mut t);
        t
    }

    pub fn get(&self, nr: u64) -> Option<&Entry> {
        usize::try_from(nr).ok().and_then(|n| self.entries.get(n))
    }

    pub fn entries(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.name.is_empty())
    }

    fn set(&mut self, nr: usize, handler: Handler, tier: Tier, args: &'static [Arg]) {
        if let Some(e) = self.entries.get_mut(nr) {
            e.handler = Some(handler);
            e.tier = tier;
            e.args = args;
        }
    }

    /// Register a fully supported syscall.
    pub fn add(&mut self, nr: usize, handler: Handler, args: &'static [Arg]) {
        self.set(nr, handler, Tier::Supported, args);
    }

    /// Register a partially supported syscall with a note on what is missing.
    pub fn partial(
        &mut self,
        nr: usize,
        handler: Handler,
        args: &'static [Arg],
        note: &'static str,
    ) {
        self.set(nr, handler, Tier::Partial(note), args);
    }

    /// Register a syscall that always fails with `errno` (with the reason why).
    pub fn refuse(&mut self, nr: usize, errno: Errno, args: &'static [Arg], note: &'static str) {
        if let Some(e) = self.entries.get_mut(nr) {
            e.handler = None;
            e.tier = Tier::Refused(errno, note);
            e.args = args;
        }
    }

    /// The table as text, for `runsc help syscalls`.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        for (nr, e) in self.entries() {
            let (tier, note) = match e.tier {
                Tier::Supported => ("supported", ""),
                Tier::Partial(n) => ("partial", n),
                Tier::Refused(_, n) => ("refused", n),
                Tier::Unimplemented => ("unimplemented", ""),
            };
            let errno = match e.tier {
                Tier::Refused(er, _) => format!(" ({})", er.name()),
                _ => String::new(),
            };
            s.push_str(&format!("{nr:>3}  {:<24} {tier}{errno}", e.name));
            if !note.is_empty() {
                s.push_str(&format!(": {note}"));
            }
            s.push('\n');
        }
        s
    }
}
