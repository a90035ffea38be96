//! System V message queues: msgget, msgsnd, msgrcv, msgctl.

use super::{Arg, SysResult, SyscallArgs, Table};
use crate::kernel::ipc::msg::{Msg, RecvArgs};
use crate::kernel::Task;
use abi::ipc::*;
use abi::{sysno, Errno};

pub fn register(t: &mut Table) {
    t.add(sysno::MSGGET, sys_msgget, &[Arg::Hex, Arg::Oct]);
    t.add(
        sysno::MSGSND,
        sys_msgsnd,
        &[Arg::Int, Arg::Ptr, Arg::Int, Arg::Oct],
    );
    t.add(
        sysno::MSGRCV,
        sys_msgrcv,
        &[Arg::Int, Arg::Ptr, Arg::Int, Arg::Int, Arg::Oct],
    );
    t.add(sysno::MSGCTL, sys_msgctl, &[Arg::Int, Arg::Int, Arg::Ptr]);
}

fn sys_msgget(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let ns = t.ipc_ns();
    Ok(ns.msg.get(a.i32(0), a.u32(1), &t.creds)? as u64)
}

fn sys_msgsnd(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (id, msgp, msgsz, flags) = (a.i32(0), a.u64(1), a.u64(2), a.u32(3));
    let mtype: i64 = t.mm.read_obj(msgp)?;
    if msgsz > MSGMAX as u64 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; msgsz as usize];
    t.mm.read_bytes(msgp.wrapping_add(8), &mut text)?;
    let ns = t.ipc_ns();
    ns.msg.send(t, id, Msg { mtype, text }, flags)?;
    Ok(0)
}

fn sys_msgrcv(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (id, msgp, bufsz, msgtyp, flags) = (a.i32(0), a.u64(1), a.u64(2), a.i64(3), a.u32(4));
    if id < 0 || (bufsz as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MSG_COPY != 0 && (flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0) {
        return Err(Errno::EINVAL);
    }
    let ns = t.ipc_ns();
    let m = ns.msg.receive(
        t,
        RecvArgs {
            id,
            bufsz,
            msgtyp,
            flags,
        },
    )?;
    t.mm.write_obj(msgp, &m.mtype)?;
    t.mm.write_bytes(msgp.wrapping_add(8), &m.text)?;
    Ok(m.text.len() as u64)
}

fn sys_msgctl(t: &mut Task, a: &SyscallArgs) -> SysResult {
    let (id, cmd, buf) = (a.i32(0), a.i32(1), a.u64(2));
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = t.ipc_ns();
    match cmd {
        IPC_INFO | MSG_INFO => {
            let (max, info) = ns.msg.info(cmd == MSG_INFO);
            t.mm.write_obj(buf, &info)?;
            Ok(max as u64)
        }
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
            let (real, ds) = ns
                .msg
                .stat(id, cmd != IPC_STAT, cmd != MSG_STAT_ANY, &t.creds)?;
            t.mm.write_obj(buf, &ds)?;
            Ok(if cmd == IPC_STAT { 0 } else { real as u64 })
        }
        IPC_SET => {
            let ds: MsqidDs = t.mm.read_obj(buf)?;
            ns.msg.set(id, &ds, &t.creds)?;
            Ok(0)
        }
        IPC_RMID => {
            ns.msg.remove(id, &t.creds)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
