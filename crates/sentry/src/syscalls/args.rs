//! Syscall arguments: typed accessors and the argument kinds `--strace` decodes.

/// How `--strace` shows an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Signed decimal.
    Int,
    /// Unsigned hexadecimal (flags, addresses, sizes where hex reads better).
    Hex,
    /// A file descriptor (AT_FDCWD shown by name).
    Fd,
    /// A NUL-terminated path in application memory.
    Path,
    /// A pointer.
    Ptr,
    /// Octal (modes).
    Oct,
    /// Bytes the application passes in; length in the given argument.
    InBuf(usize),
    /// Bytes the syscall fills; length is the return value.
    OutBuf,
    /// A signal number.
    Signal,
}

/// The six raw argument registers of a syscall.
#[derive(Clone, Copy, Debug)]
pub struct SyscallArgs(pub [u64; 6]);

impl SyscallArgs {
    pub fn u64(&self, i: usize) -> u64 {
        self.0[i % 6]
    }
    pub fn i64(&self, i: usize) -> i64 {
        self.u64(i) as i64
    }
    /// The low 32 bits as unsigned (the kernel's `unsigned int`).
    pub fn u32(&self, i: usize) -> u32 {
        self.u64(i) as u32
    }
    /// The low 32 bits as signed (the kernel's `int`, e.g. fds and dirfds).
    pub fn i32(&self, i: usize) -> i32 {
        self.u64(i) as u32 as i32
    }
    pub fn fd(&self, i: usize) -> i32 {
        self.i32(i)
    }
}
