//! sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg: the message
//! header, addresses and control messages (SCM_RIGHTS, SCM_CREDENTIALS)
//! decoded and encoded with Linux's rules.

use super::socket::{autobind, read_sockaddr, sock, socket_file, write_sockaddr};
use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::creds::{CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN};
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::kernel::Task;
use crate::mm::{IoDst, IoSrc};
use crate::net::unix::addr;
use crate::net::unix::endpoint::SCM_MAX_FD;
use crate::net::unix::{Received, RecvOpts, Scm, SockType, Ucred};
use crate::net::{
    MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC,
    MSG_WAITALL, SOCKADDR_STORAGE,
};
use crate::vfs::File;
use abi::{sysno, Errno};
use std::sync::Arc;

pub fn register(t: &mut Table) {
    const NOTE: &str = "AF_UNIX only; MSG_OOB is refused (EOPNOTSUPP)";
    t.partial(
        sysno::SENDTO,
        sys_sendto,
        &[
            Arg::Fd,
            Arg::InBuf(2),
            Arg::Int,
            Arg::Hex,
            Arg::Ptr,
            Arg::Int,
        ],
        NOTE,
    );
    t.partial(
        sysno::RECVFROM,
        sys_recvfrom,
        &[Arg::Fd, Arg::OutBuf, Arg::Int, Arg::Hex, Arg::Ptr, Arg::Ptr],
        NOTE,
    );
    t.partial(
        sysno::SENDMSG,
        sys_sendmsg,
        &[Arg::Fd, Arg::Ptr, Arg::Hex],
        NOTE,
    );
    t.partial(
        sysno::RECVMSG,
        sys_recvmsg,
        &[Arg::Fd, Arg::Ptr, Arg::Hex],
        NOTE,
    );
    t.partial(
        sysno::SENDMMSG,
        sys_sendmmsg,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Hex],
        NOTE,
    );
    t.partial(
        sysno::RECVMMSG,
        sys_recvmmsg,
        &[Arg::Fd, Arg::Ptr, Arg::Int, Arg::Hex, Arg::Ptr],
        NOTE,
    );
}

const MAX_RW_COUNT: u64 = 0x7fff_f000;
const UIO_MAXIOV: u64 = 1024;
/// /proc/sys/net/core/optmem_max: the largest control buffer sendmsg takes.
const OPTMEM_MAX: u64 = 131072;
const SOL_SOCKET: i32 = 1;
const SCM_RIGHTS: i32 = 1;
const SCM_CREDENTIALS: i32 = 2;
const CMSG_HDR: usize = 16;
const MSGHDR_LEN: usize = 56;
const MMSGHDR_LEN: u64 = 64;
const MSG_WAITFORONE: u32 = 0x10000;

fn align8(n: usize) -> usize {
    (n + 7) & !7
}

/// struct msghdr as the application laid it out.
struct MsgHdr {
    name: u64,
    namelen: i32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut x = [0u8; 8];
    if let Some(s) = b.get(off..off + 8) {
        x.copy_from_slice(s);
    }
    u64::from_ne_bytes(x)
}

fn i32_at(b: &[u8], off: usize) -> i32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(off..off + 4) {
        x.copy_from_slice(s);
    }
    i32::from_ne_bytes(x)
}

/// copy_msghdr_from_user: EFAULT, EINVAL for a negative name length
/// (longer ones are cut to sockaddr_storage), EMSGSIZE past UIO_MAXIOV.
fn read_msghdr(t: &Task, addr: u64) -> Result<MsgHdr, Errno> {
    let mut b = [0u8; MSGHDR_LEN];
    t.mm.read_bytes(addr, &mut b)?;
    let mut h = MsgHdr {
        name: u64_at(&b, 0),
        namelen: i32_at(&b, 8),
        iov: u64_at(&b, 16),
        iovlen: u64_at(&b, 24),
        control: u64_at(&b, 32),
        controllen: u64_at(&b, 40),
    };
    if h.namelen < 0 {
        return Err(Errno::EINVAL);
    }
    h.namelen = h.namelen.min(SOCKADDR_STORAGE as i32);
    if h.name == 0 {
        h.namelen = 0;
    }
    if h.iovlen > UIO_MAXIOV {
        return Err(Errno::EMSGSIZE);
    }
    Ok(h)
}

/// __scm_send: decode the control messages of a send.
fn parse_cmsgs(t: &Task, ctl: &[u8]) -> Result<Scm, Errno> {
    let mut scm = Scm::default();
    let mut off = 0usize;
    while off + CMSG_HDR <= ctl.len() {
        let len = u64_at(ctl, off);
        let level = i32_at(ctl, off + 8);
        let ty = i32_at(ctl, off + 12);
        if len < CMSG_HDR as u64 || len > (ctl.len() - off) as u64 {
            return Err(Errno::EINVAL);
        }
        let len = len as usize;
        let data = ctl.get(off + CMSG_HDR..off + len).unwrap_or(&[]);
        if level == SOL_SOCKET {
            match ty {
                SCM_RIGHTS => {
                    let n = data.len() / 4;
                    if n > 0 {
                        if scm.fds.len() + n > SCM_MAX_FD {
                            return Err(Errno::EINVAL);
                        }
                        for i in 0..n {
                            let fd = i32_at(data, i * 4);
                            scm.fds.push(t.fds.get(fd)?);
                        }
                    }
                }
                SCM_CREDENTIALS => {
                    if len != CMSG_HDR + 12 {
                        return Err(Errno::EINVAL);
                    }
                    let c = Ucred {
                        pid: i32_at(data, 0),
                        uid: i32_at(data, 4) as u32,
                        gid: i32_at(data, 8) as u32,
                    };
                    check_creds(t, c)?;
                    scm.cred = Some(c);
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        off += align8(len);
    }
    Ok(scm)
}

/// scm_check_creds: a sender may claim only its own ids unless privileged.
fn check_creds(t: &Task, c: Ucred) -> Result<(), Errno> {
    let cr = &t.creds;
    let pid_ok = c.pid == t.tg.tgid || cr.has_cap(CAP_SYS_ADMIN);
    let uid_ok = [cr.uid, cr.euid, cr.suid].contains(&c.uid) || cr.has_cap(CAP_SETUID);
    let gid_ok = [cr.gid, cr.egid, cr.sgid].contains(&c.gid) || cr.has_cap(CAP_SETGID);
    if pid_ok && uid_ok && gid_ok {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// Send `src` on `f` to `name` (a sendto/sendmsg address, maybe empty).
fn do_send(
    t: &mut Task,
    f: &File,
    src: &mut IoSrc,
    name: &[u8],
    ctl: &[u8],
    flags: u32,
) -> SysResult {
    let ep = sock(f)?.ep.clone();
    let scm = parse_cmsgs(t, ctl)?;
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut to = None;
    if !name.is_empty() {
        match ep.ty {
            SockType::Stream => {
                return Err(if ep.peer_addr().is_ok() {
                    Errno::EISCONN
                } else {
                    Errno::EOPNOTSUPP
                });
            }
            SockType::SeqPacket => {}
            SockType::Dgram => {
                let a = addr::parse(name)?;
                to = Some(t.k.unix.lookup(t, &a, ep.ty)?);
            }
        }
    }
    if ep.ty == SockType::Dgram && ep.opts().passcred {
        autobind(t, &ep)?;
    }
    let nonblock = f.nonblocking() || flags & MSG_DONTWAIT != 0;
    let r = ep.send(t, src, scm, to, nonblock);
    if r == Err(Errno::EPIPE) && ep.ty == SockType::Stream && flags & MSG_NOSIGNAL == 0 {
        super::blocking::sigpipe(t);
    }
    r
}

fn recv_opts(f: &File, flags: u32) -> RecvOpts {
    RecvOpts {
        peek: flags & MSG_PEEK != 0,
        waitall: flags & MSG_WAITALL != 0,
        trunc: flags & MSG_TRUNC != 0,
        nonblock: f.nonblocking() || flags & MSG_DONTWAIT != 0,
    }
}

fn sys_sendto(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let (buf, len, flags) = (a.u64(1), a.u64(2).min(MAX_RW_COUNT), a.u32(3));
    crate::mm::io::access_ok(buf, len)?;
    let name = if a.u64(4) != 0 {
        read_sockaddr(t, a.u64(4), a.i32(5))?
    } else {
        Vec::new()
    };
    let mut src = t.mm.src(buf, len)?;
    do_send(t, &f, &mut src, &name, &[], flags)
}

fn sys_recvfrom(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let (buf, len, flags) = (a.u64(1), a.u64(2).min(MAX_RW_COUNT), a.u32(3));
    crate::mm::io::access_ok(buf, len)?;
    let mut dst = t.mm.dst(buf, len)?;
    let ep = sock(&f)?.ep.clone();
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let r = ep.recv(t, &mut dst, &recv_opts(&f, flags))?;
    if a.u64(4) != 0 {
        let sa = r.from.as_ref().map(|x| x.to_sockaddr()).unwrap_or_default();
        write_sockaddr(t, a.u64(4), a.u64(5), &sa)?;
    }
    Ok(r.n)
}

/// One sendmsg: the header at `addr`.
fn send_one(t: &mut Task, f: &File, addr: u64, flags: u32) -> SysResult {
    let h = read_msghdr(t, addr)?;
    let mut name = vec![0u8; h.namelen as usize];
    if !name.is_empty() {
        t.mm.read_bytes(h.name, &mut name)?;
    }
    let iovs = t.mm.read_iovecs(h.iov, h.iovlen)?;
    if h.controllen > i32::MAX as u64 || h.controllen >= OPTMEM_MAX {
        return Err(Errno::ENOBUFS);
    }
    let mut ctl = vec![0u8; h.controllen as usize];
    if !ctl.is_empty() {
        t.mm.read_bytes(h.control, &mut ctl)?;
    }
    let mut src = t.mm.src_iovecs(&iovs);
    do_send(t, f, &mut src, &name, &ctl, flags)
}

fn sys_sendmsg(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    send_one(t, &f, a.u64(1), a.u32(2))
}

/// Where recvmsg writes control messages (put_cmsg's cursor).
struct CmsgOut {
    at: u64,
    left: u64,
    flags: u32,
}

impl CmsgOut {
    fn put(&mut self, t: &Task, ty: i32, data: &[u8]) -> Result<(), Errno> {
        if self.at == 0 || self.left < CMSG_HDR as u64 {
            self.flags |= MSG_CTRUNC;
            return Ok(());
        }
        let cmlen = CMSG_HDR + data.len();
        let mut copy = cmlen as u64;
        if self.left < copy {
            self.flags |= MSG_CTRUNC;
            copy = self.left;
        }
        // The header says how much was really written.
        let mut b = Vec::with_capacity(cmlen);
        b.extend_from_slice(&copy.to_ne_bytes());
        b.extend_from_slice(&SOL_SOCKET.to_ne_bytes());
        b.extend_from_slice(&ty.to_ne_bytes());
        b.extend_from_slice(data);
        t.mm.write_bytes(self.at, b.get(..copy as usize).unwrap_or(&[]))?;
        let space = (align8(cmlen) as u64).min(self.left);
        self.at += space;
        self.left -= space;
        Ok(())
    }

    /// scm_detach_fds: install as many passed files as the buffer holds.
    fn put_fds(&mut self, t: &Task, fds: Vec<Arc<File>>, cloexec: bool) {
        if fds.is_empty() {
            return;
        }
        let room = if self.at != 0 && self.left > CMSG_HDR as u64 {
            ((self.left - CMSG_HDR as u64) / 4) as usize
        } else {
            0
        };
        let fdmax = room.min(fds.len());
        let limit = t.tg.limits.lock().cur(RLIMIT_NOFILE);
        let mut i = 0;
        for f in fds.iter().take(fdmax) {
            let Ok(fd) = t.fds.install(f.clone(), cloexec, 0, limit) else {
                break;
            };
            if t.mm
                .write_bytes(self.at + (CMSG_HDR + 4 * i) as u64, &fd.to_ne_bytes())
                .is_err()
            {
                let _ = t.fds.remove(fd);
                break;
            }
            i += 1;
        }
        if i > 0 {
            let cmlen = CMSG_HDR + 4 * i;
            let mut h = Vec::with_capacity(CMSG_HDR);
            h.extend_from_slice(&(cmlen as u64).to_ne_bytes());
            h.extend_from_slice(&SOL_SOCKET.to_ne_bytes());
            h.extend_from_slice(&SCM_RIGHTS.to_ne_bytes());
            if t.mm.write_bytes(self.at, &h).is_ok() {
                let space = (align8(cmlen) as u64).min(self.left);
                self.at += space;
                self.left -= space;
            }
        }
        if i < fds.len() || fdmax == 0 {
            self.flags |= MSG_CTRUNC;
        }
    }
}

/// One recvmsg into the header at `addr`; returns the byte count.
fn recv_one(t: &mut Task, f: &File, addr: u64, flags: u32) -> SysResult {
    let h = read_msghdr(t, addr)?;
    let iovs = t.mm.read_iovecs(h.iov, h.iovlen)?;
    let ep = sock(f)?.ep.clone();
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut dst: IoDst = t.mm.dst_iovecs(&iovs);
    let r: Received = ep.recv(t, &mut dst, &recv_opts(f, flags))?;
    if h.name != 0 {
        let sa = r.from.as_ref().map(|x| x.to_sockaddr()).unwrap_or_default();
        write_sockaddr(t, h.name, addr + 8, &sa)?;
    }
    let mut out = CmsgOut {
        at: h.control,
        left: h.controllen,
        flags: r.flags | (flags & MSG_CMSG_CLOEXEC),
    };
    if let Some(c) = r.cred {
        out.put(t, SCM_CREDENTIALS, &c.to_bytes())?;
    }
    out.put_fds(t, r.fds, flags & MSG_CMSG_CLOEXEC != 0);
    t.mm.write_obj(addr + 48, &(out.flags as i32))?;
    t.mm.write_obj(addr + 40, &(h.controllen - out.left))?;
    Ok(r.n)
}

fn sys_recvmsg(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    recv_one(t, &f, a.u64(1), a.u32(2))
}

fn sys_sendmmsg(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let (vec, vlen, flags) = (a.u64(1), a.u32(2).min(UIO_MAXIOV as u32), a.u32(3));
    let mut done = 0u64;
    while done < vlen as u64 {
        let at = vec + done * MMSGHDR_LEN;
        match send_one(t, &f, at, flags) {
            Ok(n) => {
                if let Err(e) = t.mm.write_obj(at + 56, &(n as u32)) {
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
                done += 1;
            }
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        }
    }
    Ok(done)
}

fn sys_recvmmsg(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let f = socket_file(t, a.fd(0))?;
    let (vec, vlen, mut flags) = (a.u64(1), a.u32(2).min(UIO_MAXIOV as u32), a.u32(3));
    let deadline = if a.u64(4) != 0 {
        let ts: abi::Timespec = t.mm.read_obj(a.u64(4))?;
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(
            std::time::Instant::now()
                + std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
        )
    } else {
        None
    };
    let mut done = 0u64;
    while done < vlen as u64 {
        let at = vec + done * MMSGHDR_LEN;
        match recv_one(t, &f, at, flags) {
            Ok(n) => {
                if let Err(e) = t.mm.write_obj(at + 56, &(n as u32)) {
                    return if done > 0 { Ok(done) } else { Err(e) };
                }
                done += 1;
            }
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        }
        if flags & MSG_WAITFORONE != 0 {
            flags |= MSG_DONTWAIT;
        }
        // As Linux, the timeout is checked only after each datagram.
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            break;
        }
    }
    Ok(done)
}
