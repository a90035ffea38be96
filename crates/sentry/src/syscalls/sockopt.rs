//! getsockopt and setsockopt at SOL_SOCKET for Unix sockets.

use super::socket::{sock, socket_file};
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::Task;
use crate::net::unix::endpoint::{MAX_BUF, MIN_RCVBUF, MIN_SNDBUF};
use crate::net::AF_UNIX;
use abi::{sysno, Errno};
use std::time::Duration;

const NOTE: &str = "SOL_SOCKET: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, SO_ACCEPTCONN, \
SO_PEERCRED, SO_PASSCRED, SO_SNDBUF, SO_RCVBUF, SO_REUSEADDR, SO_KEEPALIVE, SO_LINGER, \
SO_RCVTIMEO, SO_SNDTIMEO; others ENOPROTOOPT; other levels EOPNOTSUPP";

pub fn register(t: &mut Table) {
    t.partial(
        sysno::GETSOCKOPT,
        sys_getsockopt,
        &[Arg::Fd, Arg::Int, Arg::Int, Arg::Ptr, Arg::Ptr],
        NOTE,
    );
    t.partial(
        sysno::SETSOCKOPT,
        sys_setsockopt,
        &[Arg::Fd, Arg::Int, Arg::Int, Arg::Ptr, Arg::Int],
        NOTE,
    );
}

const SOL_SOCKET: i32 = 1;
const SO_REUSEADDR: i32 = 2;
const SO_TYPE: i32 = 3;
const SO_ERROR: i32 = 4;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_KEEPALIVE: i32 = 9;
const SO_LINGER: i32 = 13;
const SO_PASSCRED: i32 = 16;
const SO_PEERCRED: i32 = 17;
const SO_RCVTIMEO: i32 = 20;
const SO_SNDTIMEO: i32 = 21;
const SO_ACCEPTCONN: i32 = 30;
const SO_PROTOCOL: i32 = 38;
const SO_DOMAIN: i32 = 39;

fn int(v: i32) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

/// A timeout as struct timeval (none: zero).
fn timeval(d: Option<Duration>) -> Vec<u8> {
    let (s, us) = d.map_or((0i64, 0i64), |d| {
        (d.as_secs() as i64, d.subsec_micros() as i64)
    });
    let mut v = s.to_ne_bytes().to_vec();
    v.extend_from_slice(&us.to_ne_bytes());
    v
}

fn sys_getsockopt(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let ep = sock(&f)?.ep.clone();
    let (level, name, optval, optlen) = (a.i32(1), a.i32(2), a.u64(3), a.u64(4));
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let len: i32 = t.mm.read_obj(optlen)?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let o = ep.opts();
    let v = match name {
        SO_TYPE => int(ep.ty.raw() as i32),
        SO_DOMAIN => int(AF_UNIX as i32),
        SO_PROTOCOL => int(0),
        SO_ERROR => int(ep.take_error().map_or(0, |e| e.0)),
        SO_ACCEPTCONN => int(ep.listening() as i32),
        SO_PASSCRED => int(o.passcred as i32),
        SO_SNDBUF => int(o.sndbuf as i32),
        SO_RCVBUF => int(o.rcvbuf as i32),
        SO_REUSEADDR => int(o.reuseaddr as i32),
        SO_KEEPALIVE => int(o.keepalive as i32),
        SO_LINGER => {
            let mut v = int(o.linger.0);
            v.extend_from_slice(&o.linger.1.to_ne_bytes());
            v
        }
        SO_PEERCRED => ep.peercred().to_bytes().to_vec(),
        SO_RCVTIMEO => timeval(o.rcvtimeo),
        SO_SNDTIMEO => timeval(o.sndtimeo),
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let n = (len as usize).min(v.len());
    t.mm.write_bytes(optval, v.get(..n).unwrap_or(&[]))?;
    t.mm.write_obj(optlen, &(n as i32))?;
    Ok(0)
}

/// sock_set_timeout: EINVAL if short, EDOM for bad microseconds; a
/// negative time means "do not wait", zero means "wait forever".
fn read_timeout(t: &Task, optval: u64, optlen: i32) -> Result<Option<Duration>, Errno> {
    if optlen < 16 {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 16];
    t.mm.read_bytes(optval, &mut b)?;
    let mut s = [0u8; 8];
    s.copy_from_slice(&b[..8]);
    let sec = i64::from_ne_bytes(s);
    s.copy_from_slice(&b[8..]);
    let usec = i64::from_ne_bytes(s);
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    if sec < 0 {
        return Ok(Some(Duration::ZERO));
    }
    if sec == 0 && usec == 0 {
        return Ok(None);
    }
    Ok(Some(Duration::new(sec as u64, usec as u32 * 1000)))
}

fn sys_setsockopt(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let ep = sock(&f)?.ep.clone();
    let (level, name, optval, optlen) = (a.i32(1), a.i32(2), a.u64(3), a.i32(4));
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    if optlen < 4 {
        return Err(Errno::EINVAL);
    }
    let val: i32 = t.mm.read_obj(optval)?;
    let on = val != 0;
    match name {
        SO_REUSEADDR => ep.set_opts(|o| o.reuseaddr = on),
        SO_KEEPALIVE => ep.set_opts(|o| o.keepalive = on),
        SO_PASSCRED => ep.set_opts(|o| o.passcred = on),
        SO_SNDBUF => {
            let v = (val as u32).min(MAX_BUF);
            ep.set_opts(|o| o.sndbuf = (v * 2).max(MIN_SNDBUF));
        }
        SO_RCVBUF => {
            let v = (val as u32).min(MAX_BUF);
            ep.set_opts(|o| o.rcvbuf = (v * 2).max(MIN_RCVBUF));
        }
        SO_LINGER => {
            if optlen < 8 {
                return Err(Errno::EINVAL);
            }
            let secs: i32 = t.mm.read_obj(optval + 4)?;
            ep.set_opts(|o| {
                if on {
                    o.linger = (1, secs.max(0));
                } else {
                    o.linger.0 = 0;
                }
            });
        }
        SO_RCVTIMEO => {
            let d = read_timeout(t, optval, optlen)?;
            ep.set_opts(|o| o.rcvtimeo = d);
        }
        SO_SNDTIMEO => {
            let d = read_timeout(t, optval, optlen)?;
            ep.set_opts(|o| o.sndtimeo = d);
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}
