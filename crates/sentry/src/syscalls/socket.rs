//! socket, socketpair, bind, listen, accept, accept4, connect,
//! getsockname, getpeername, shutdown. Only AF_UNIX exists; the endpoint
//! semantics live in `net::unix`.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::net::unix::addr::{self, Requested, UnixAddr};
use crate::net::unix::{socket_of, Endpoint, SockType, Ucred, UnixSocket};
use crate::net::{
    AF_UNIX, AF_UNSPEC, SOCKADDR_STORAGE, SOCK_CLOEXEC, SOCK_MAX, SOCK_NONBLOCK, SOCK_TYPE_MASK,
};
use crate::vfs::File;
use abi::{sysno, Errno};
use std::sync::Arc;

const FAMILY_NOTE: &str = "AF_UNIX only; inet sockets come with the network stack";

pub fn register(t: &mut Table) {
    t.partial(
        sysno::SOCKET,
        sys_socket,
        &[Arg::Int, Arg::Hex, Arg::Int],
        FAMILY_NOTE,
    );
    t.partial(
        sysno::SOCKETPAIR,
        sys_socketpair,
        &[Arg::Int, Arg::Hex, Arg::Int, Arg::Ptr],
        FAMILY_NOTE,
    );
    t.partial(
        sysno::BIND,
        sys_bind,
        &[Arg::Fd, Arg::Ptr, Arg::Int],
        FAMILY_NOTE,
    );
    t.partial(sysno::LISTEN, sys_listen, &[Arg::Fd, Arg::Int], FAMILY_NOTE);
    t.partial(
        sysno::ACCEPT,
        sys_accept,
        &[Arg::Fd, Arg::Ptr, Arg::Ptr],
        FAMILY_NOTE,
    );
    t.partial(
        sysno::ACCEPT4,
        sys_accept4,
        &[Arg::Fd, Arg::Ptr, Arg::Ptr, Arg::Hex],
        FAMILY_NOTE,
    );
    t.partial(
        sysno::CONNECT,
        sys_connect,
        &[Arg::Fd, Arg::Ptr, Arg::Int],
        FAMILY_NOTE,
    );
    t.partial(
        sysno::GETSOCKNAME,
        sys_getsockname,
        &[Arg::Fd, Arg::Ptr, Arg::Ptr],
        FAMILY_NOTE,
    );
    t.partial(
        sysno::GETPEERNAME,
        sys_getpeername,
        &[Arg::Fd, Arg::Ptr, Arg::Ptr],
        FAMILY_NOTE,
    );
    t.partial(
        sysno::SHUTDOWN,
        sys_shutdown,
        &[Arg::Fd, Arg::Int],
        FAMILY_NOTE,
    );
}

/// AF_MAX: families at or above it are EAFNOSUPPORT before anything else.
const AF_MAX: i32 = 46;
const AF_INET: i32 = 2;
const AF_INET6: i32 = 10;
/// PF_UNIX as a protocol number (Linux accepts 0 or this).
const PROTO_UNIX: i32 = 1;

/// The socket file behind `fd`: EBADF, or ENOTSOCK for other files.
pub fn socket_file(t: &Task, fd: i32) -> Result<Arc<File>, Errno> {
    let f = t.fds.get(fd)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if socket_of(&f).is_none() {
        return Err(Errno::ENOTSOCK);
    }
    Ok(f)
}

/// The Unix socket of a file `socket_file` returned.
pub fn sock(f: &File) -> Result<&UnixSocket, Errno> {
    socket_of(f).ok_or(Errno::ENOTSOCK)
}

/// Decode socket(2)'s family/type/protocol: the Unix type and the flags.
fn check_create(domain: i32, ty: u32, protocol: i32) -> Result<(SockType, u32), Errno> {
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if !(0..AF_MAX).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    let base = ty & SOCK_TYPE_MASK;
    if base >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    if domain != AF_UNIX as i32 {
        return Err(Errno::EAFNOSUPPORT);
    }
    if protocol != 0 && protocol != PROTO_UNIX {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let st = SockType::from_raw(base).ok_or(Errno::ESOCKTNOSUPPORT)?;
    Ok((st, flags))
}

/// A new open file for endpoint `ep`.
pub fn socket_file_for(t: &Task, ep: Arc<Endpoint>, flags: u32) -> Arc<File> {
    let s = UnixSocket::new(ep, t.k.unix.clone(), t.owner());
    File::new(
        Box::new(s),
        None,
        None,
        libc::O_RDWR as u32 | (flags & SOCK_NONBLOCK),
    )
}

fn install(t: &Task, f: Arc<File>, flags: u32) -> Result<i32, Errno> {
    let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
    t.fds.install(f, flags & SOCK_CLOEXEC != 0, 0, limit)
}

fn sys_socket(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (ty, flags) = check_create(a.i32(0), a.u32(1), a.i32(2))?;
    let f = socket_file_for(t, Endpoint::new(ty), flags);
    Ok(install(t, f, flags)? as u64)
}

fn sys_socketpair(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let domain = a.i32(0);
    if domain == AF_INET || domain == AF_INET6 {
        // What Linux answers: inet sockets exist but cannot be paired.
        check_inet_flags(a.u32(1))?;
        return Err(Errno::EOPNOTSUPP);
    }
    let (ty, flags) = check_create(domain, a.u32(1), a.i32(2))?;
    let (x, y) = Endpoint::pair(ty, Ucred::peer_of(t));
    let fx = socket_file_for(t, x, flags);
    let fy = socket_file_for(t, y, flags);
    let dx = install(t, fx, flags)?;
    let dy = match install(t, fy, flags) {
        Ok(d) => d,
        Err(e) => {
            let _ = t.fds.remove(dx);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&dx.to_ne_bytes());
    out[4..].copy_from_slice(&dy.to_ne_bytes());
    if let Err(e) = t.mm.write_bytes(a.u64(3), &out) {
        let _ = t.fds.remove(dx);
        let _ = t.fds.remove(dy);
        return Err(e);
    }
    Ok(0)
}

fn check_inet_flags(ty: u32) -> Result<(), Errno> {
    if (ty & !SOCK_TYPE_MASK) & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0
        || ty & SOCK_TYPE_MASK >= SOCK_MAX
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// move_addr_to_kernel: `len` bytes of a socket address.
pub fn read_sockaddr(t: &Task, ptr: u64, len: i32) -> Result<Vec<u8>, Errno> {
    if len < 0 || len as usize > SOCKADDR_STORAGE {
        return Err(Errno::EINVAL);
    }
    let mut v = vec![0u8; len as usize];
    if len > 0 {
        t.mm.read_bytes(ptr, &mut v)?;
    }
    Ok(v)
}

/// move_addr_to_user: copy as much of `sa` as `*lenp` allows, then store
/// the full length in `*lenp`.
pub fn write_sockaddr(t: &Task, ptr: u64, lenp: u64, sa: &[u8]) -> Result<(), Errno> {
    let len: i32 = t.mm.read_obj(lenp)?;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (len as usize).min(sa.len());
    if n > 0 {
        t.mm.write_bytes(ptr, sa.get(..n).unwrap_or(&[]))?;
    }
    t.mm.write_obj(lenp, &(sa.len() as i32))
}

pub fn sockaddr_of(a: Option<&UnixAddr>) -> Vec<u8> {
    a.map_or_else(addr::unnamed_sockaddr, UnixAddr::to_sockaddr)
}

/// Give an unbound socket an abstract name (autobind).
pub fn autobind(t: &Task, ep: &Arc<Endpoint>) -> Result<(), Errno> {
    if ep.addr().is_some() {
        return Ok(());
    }
    let a = t.k.unix.autobind(ep)?;
    if let Err(e) = ep.set_addr(a.clone()) {
        if let UnixAddr::Abstract(n) = &a {
            t.k.unix.unbind_abstract(ep.ty, n, ep);
        }
        return Err(e);
    }
    Ok(())
}

fn sys_bind(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let sa = read_sockaddr(t, a.u64(1), a.i32(2))?;
    let ep = sock(&f)?.ep.clone();
    let req = addr::parse_bind(&sa)?;
    if req == Requested::Autobind {
        // Linux: autobinding a bound socket is a successful no-op.
        autobind(t, &ep)?;
        return Ok(0);
    }
    if ep.addr().is_some() {
        // Linux makes the file before it notices: an existing name wins.
        if let Requested::Addr(UnixAddr::Path(path)) = &req {
            let start = t.start_dir(libc::AT_FDCWD, path)?;
            if t.with_walk(|w| w.walk(&start, path, false)).is_ok() {
                return Err(Errno::EADDRINUSE);
            }
        }
        return Err(Errno::EINVAL);
    }
    let ns = t.k.unix.clone();
    match req {
        Requested::Autobind => {}
        Requested::Addr(UnixAddr::Abstract(name)) => {
            ns.bind_abstract(&name, &ep)?;
            if let Err(e) = ep.set_addr(UnixAddr::Abstract(name.clone())) {
                ns.unbind_abstract(ep.ty, &name, &ep);
                return Err(e);
            }
        }
        Requested::Addr(UnixAddr::Path(path)) => {
            ns.bind_path(t, &path, &ep)?;
            ep.set_addr(UnixAddr::Path(path))?;
        }
    }
    Ok(0)
}

fn sys_listen(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    sock(&f)?.ep.listen(a.i32(1), Ucred::peer_of(t))?;
    Ok(0)
}

fn sys_accept(t: &mut Task, a: &SyscallArgs) -> SysResult {
    do_accept(t, a.fd(0), a.u64(1), a.u64(2), 0)
}

fn sys_accept4(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let flags = a.u32(3);
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    do_accept(t, a.fd(0), a.u64(1), a.u64(2), flags)
}

fn do_accept(t: &mut Task, fd: i32, addr: u64, lenp: u64, flags: u32) -> SysResult {
    let f = socket_file(t, fd)?;
    let ep = sock(&f)?.ep.clone();
    let new = ep.accept(t, f.nonblocking())?;
    let peer = new.peer_addr().ok().flatten();
    let nf = socket_file_for(t, new, flags);
    if addr != 0 {
        write_sockaddr(t, addr, lenp, &sockaddr_of(peer.as_ref()))?;
    }
    Ok(install(t, nf, flags)? as u64)
}

fn sys_connect(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let sa = read_sockaddr(t, a.u64(1), a.i32(2))?;
    let ep = sock(&f)?.ep.clone();
    if ep.ty == SockType::Dgram {
        if sa.len() < 2 {
            return Err(Errno::EINVAL);
        }
        if u16::from_ne_bytes([sa[0], sa[1]]) == AF_UNSPEC {
            ep.connect_dgram(None)?;
            return Ok(0);
        }
    }
    let target_addr = addr::parse(&sa)?;
    if ep.opts().passcred {
        autobind(t, &ep)?;
    }
    let target = t.k.unix.lookup(t, &target_addr, ep.ty)?;
    match ep.ty {
        SockType::Dgram => ep.connect_dgram(Some(target))?,
        _ => ep.connect_stream(t, &target, f.nonblocking())?,
    }
    Ok(0)
}

fn sys_getsockname(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let sa = sockaddr_of(sock(&f)?.ep.addr().as_ref());
    write_sockaddr(t, a.u64(1), a.u64(2), &sa)?;
    Ok(0)
}

fn sys_getpeername(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let peer = sock(&f)?.ep.peer_addr()?;
    write_sockaddr(t, a.u64(1), a.u64(2), &sockaddr_of(peer.as_ref()))?;
    Ok(0)
}

fn sys_shutdown(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let how = a.i32(1);
    if !(0..=2).contains(&how) {
        return Err(Errno::EINVAL);
    }
    sock(&f)?.ep.shutdown(how != 1, how != 0);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_and_types() {
        let st = crate::net::SOCK_STREAM;
        assert_eq!(
            check_create(AF_INET, st, 0).err(),
            Some(Errno::EAFNOSUPPORT)
        );
        assert_eq!(
            check_create(AF_INET6, st, 0).err(),
            Some(Errno::EAFNOSUPPORT)
        );
        assert_eq!(check_create(16, st, 0).err(), Some(Errno::EAFNOSUPPORT));
        assert_eq!(check_create(1, 12, 0).err(), Some(Errno::EINVAL));
        assert_eq!(check_create(1, st | 0x1000, 0).err(), Some(Errno::EINVAL));
        assert_eq!(check_create(1, 0, 0).err(), Some(Errno::ESOCKTNOSUPPORT));
        assert_eq!(check_create(1, st, 2).err(), Some(Errno::EPROTONOSUPPORT));
        assert_eq!(
            check_create(1, st | SOCK_CLOEXEC, 1),
            Ok((SockType::Stream, SOCK_CLOEXEC))
        );
        assert_eq!(check_create(1, 3, 0).map(|x| x.0), Ok(SockType::Dgram));
    }
}
