//! `--strace`: one line per syscall, in strace's style, on stderr.

use crate::kernel::Task;
use crate::syscalls::{Arg, SyscallArgs};
use abi::Errno;
use std::io::Write;

const SHOW_BYTES: usize = 32;

fn quote(b: &[u8], more: bool) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    if more {
        s.push_str("...");
    }
    s
}

fn buf(t: &Task, addr: u64, len: u64) -> String {
    let n = (len as usize).min(SHOW_BYTES);
    let mut b = vec![0u8; n];
    match t.mm.read_bytes(addr, &mut b) {
        Ok(()) => quote(&b, len as usize > n),
        Err(_) => format!("{addr:#x}"),
    }
}

fn arg(t: &Task, kind: Arg, args: &SyscallArgs, i: usize, res: &Result<u64, Errno>) -> String {
    let v = args.u64(i);
    match kind {
        Arg::Int => format!("{}", v as i64),
        Arg::Hex => format!("{v:#x}"),
        Arg::Fd => {
            if args.i32(i) == libc::AT_FDCWD {
                "AT_FDCWD".into()
            } else {
                format!("{}", args.i32(i))
            }
        }
        Arg::Path => match t.mm.read_cstring(v, 4096) {
            Ok(p) => quote(&p, false),
            Err(_) => format!("{v:#x}"),
        },
        Arg::Ptr => {
            if v == 0 {
                "NULL".into()
            } else {
                format!("{v:#x}")
            }
        }
        Arg::Oct => format!("{v:#o}"),
        Arg::InBuf(len_arg) => buf(t, v, args.u64(len_arg)),
        Arg::OutBuf => match res {
            Ok(n) => buf(t, v, *n),
            Err(_) => format!("{v:#x}"),
        },
        Arg::Signal => {
            let s = args.i32(i);
            abi::signal::SIGNAL_NAMES
                .get(s as usize)
                .filter(|n| !n.is_empty())
                .map(|n| n.to_string())
                .unwrap_or_else(|| s.to_string())
        }
    }
}

/// Print the line for a finished syscall.
pub fn print(t: &Task, nr: u64, args: &SyscallArgs, res: &Result<u64, Errno>) {
    line(t, nr, args, res, None);
}

/// The line of a syscall that does not return (exit, exit_group), printed
/// before it runs, as strace does ("= ?"): once it ran, the sandbox may be
/// gone before a line printed afterwards gets out.
pub fn print_noreturn(t: &Task, nr: u64, args: &SyscallArgs) {
    line(t, nr, args, &Ok(0), Some("?"));
}

fn line(t: &Task, nr: u64, args: &SyscallArgs, res: &Result<u64, Errno>, shown_ret: Option<&str>) {
    let entry = t.k.syscalls.get(nr);
    let name = entry
        .map(|e| e.name)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .unwrap_or_else(|| format!("syscall_{nr}"));
    let kinds: &[Arg] = entry.map(|e| e.args).unwrap_or(&[]);
    let shown: Vec<String> = kinds
        .iter()
        .enumerate()
        .map(|(i, &k)| arg(t, k, args, i, res))
        .collect();
    let ret = match (shown_ret, res) {
        (Some(r), _) => r.to_string(),
        (None, Ok(v)) if *v > 0xffff_ffff => format!("{v:#x}"),
        (None, Ok(v)) => format!("{}", *v as i64),
        (None, Err(e)) => format!("-1 {}", e.name()),
    };
    let line = format!(
        "[pid {:>5}] {}({}) = {}\n",
        t.tid,
        name,
        shown.join(", "),
        ret
    );
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
