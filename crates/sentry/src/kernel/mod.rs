//! Tasks, thread groups, credentials, signals, time: the kernel proper.

pub mod creds;
