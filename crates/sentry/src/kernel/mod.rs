//! The kernel proper: the [`Kernel`] object of a sandbox, tasks and thread
//! groups, credentials, limits, signals, time.

pub mod creds;
pub mod current;
pub mod freeze;
pub mod fs_context;
pub mod futex;
pub mod hostsig;
pub mod ipc;
pub mod itimer;
pub mod kernel;
pub mod ldisc;
pub mod limits;
pub mod pids;
pub mod posix_timer;
pub mod proc_view;
pub mod seccomp;
pub mod send;
pub mod signal;
pub mod sigqueue;
pub mod sigstate;
pub mod task;
pub mod thread_group;
pub mod time;
pub mod timers;
pub mod tty;
pub mod waiter;

pub use kernel::{Config, Kernel};
pub use task::Task;
pub use thread_group::ThreadGroup;
