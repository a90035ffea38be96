//! Thin wrappers over the host's ptrace and wait calls.

use abi::signal::SigInfo;
use abi::{Errno, Regs};

pub type Pid = libc::pid_t;

const NT_X86_XSTATE: usize = 0x202;

fn check(r: libc::c_long) -> Result<libc::c_long, Errno> {
    if r < 0 {
        Err(Errno::last())
    } else {
        Ok(r)
    }
}

fn ptrace(req: libc::c_uint, tid: Pid, addr: usize, data: usize) -> Result<libc::c_long, Errno> {
    // SAFETY: every caller passes `addr`/`data` that are either integers or
    // pointers to live buffers of the size the request writes.
    check(unsafe {
        libc::ptrace(
            req,
            tid,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    })
}

/// Attach to `tid` without stopping it; the stub dies if we die.
pub fn seize(tid: Pid) -> Result<(), Errno> {
    let opts = libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_EXITKILL;
    ptrace(libc::PTRACE_SEIZE, tid, 0, opts as usize).map(|_| ())
}

pub fn interrupt(tid: Pid) -> Result<(), Errno> {
    ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0).map(|_| ())
}

pub fn cont(tid: Pid, sig: i32) -> Result<(), Errno> {
    ptrace(libc::PTRACE_CONT, tid, 0, sig as usize).map(|_| ())
}

pub fn sysemu(tid: Pid) -> Result<(), Errno> {
    ptrace(libc::PTRACE_SYSEMU, tid, 0, 0).map(|_| ())
}

pub fn get_regs(tid: Pid, regs: &mut Regs) -> Result<(), Errno> {
    // Regs has the layout of user_regs_struct (checked in abi's tests).
    ptrace(libc::PTRACE_GETREGS, tid, 0, regs as *mut Regs as usize).map(|_| ())
}

pub fn set_regs(tid: Pid, regs: &Regs) -> Result<(), Errno> {
    ptrace(libc::PTRACE_SETREGS, tid, 0, regs as *const Regs as usize).map(|_| ())
}

pub fn get_siginfo(tid: Pid) -> Result<SigInfo, Errno> {
    let mut si = SigInfo::default();
    ptrace(
        libc::PTRACE_GETSIGINFO,
        tid,
        0,
        &mut si as *mut SigInfo as usize,
    )?;
    Ok(si)
}

/// Read the XSAVE area into `buf` (resized to what the kernel wrote).
pub fn get_xstate(tid: Pid, buf: &mut Vec<u8>) -> Result<(), Errno> {
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    ptrace(
        libc::PTRACE_GETREGSET,
        tid,
        NT_X86_XSTATE,
        &mut iov as *mut libc::iovec as usize,
    )?;
    Ok(())
}

pub fn set_xstate(tid: Pid, buf: &[u8]) -> Result<(), Errno> {
    let mut iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    ptrace(
        libc::PTRACE_SETREGSET,
        tid,
        NT_X86_XSTATE,
        &mut iov as *mut libc::iovec as usize,
    )?;
    Ok(())
}

/// What a wait on a traced thread reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Stopped with this signal (`sig | 0x80` for syscall stops) and ptrace event.
    Stopped { sig: i32, event: i32 },
    /// The thread is gone.
    Gone(i32),
}

fn decode(st: i32) -> Stop {
    if libc::WIFSTOPPED(st) {
        Stop::Stopped {
            sig: libc::WSTOPSIG(st),
            event: (st >> 16) & 0xff,
        }
    } else {
        Stop::Gone(st)
    }
}

/// Wait for the next stop (or death) of a traced thread.
pub fn wait(tid: Pid) -> Result<Stop, Errno> {
    loop {
        let mut st = 0;
        // SAFETY: `st` is a valid out-pointer.
        let r = unsafe { libc::waitpid(tid, &mut st, libc::__WALL) };
        if r == tid {
            return Ok(decode(st));
        }
        let e = Errno::last();
        if r < 0 && e != Errno::EINTR {
            return Err(e);
        }
    }
}

/// Like `wait`, but first polls for up to `spin` before sleeping: a stub
/// that traps again within microseconds is caught without a sleep/wake-up
/// of this thread, the dominant cost on a busy or nested-virtualized host.
pub fn wait_spin(tid: Pid, spin: std::time::Duration) -> Result<Stop, Errno> {
    let start = std::time::Instant::now();
    loop {
        let mut st = 0;
        // SAFETY: `st` is a valid out-pointer.
        let r = unsafe { libc::waitpid(tid, &mut st, libc::__WALL | libc::WNOHANG) };
        if r == tid {
            return Ok(decode(st));
        }
        if r < 0 {
            let e = Errno::last();
            if e != Errno::EINTR {
                return Err(e);
            }
        }
        if start.elapsed() >= spin {
            return wait(tid);
        }
        std::hint::spin_loop();
    }
}

/// Reap `tid` if it has already died; never blocks.
pub fn try_reap(tid: Pid) -> bool {
    let mut st = 0;
    // SAFETY: `st` is a valid out-pointer.
    let r = unsafe { libc::waitpid(tid, &mut st, libc::__WALL | libc::WNOHANG) };
    r == tid && !libc::WIFSTOPPED(st)
}

pub fn tgkill(pid: Pid, tid: Pid, sig: i32) {
    // SAFETY: plain syscall with integer arguments.
    unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, sig) };
}

pub fn kill(pid: Pid, sig: i32) {
    // SAFETY: plain syscall with integer arguments.
    unsafe { libc::kill(pid, sig) };
}
