//! /proc/sysvipc/{msg,sem,shm}: the System V IPC objects of the sandbox's
//! IPC namespace, one line each, in Linux's format.

use super::inode::Node;
use super::ProcFs;
use abi::Errno;

/// The files, by the index their node carries.
const FILES: [&str; 3] = ["msg", "sem", "shm"];

const HEADERS: [&str; 3] = [
    "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
    "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
    "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
];

pub(super) fn entries() -> Vec<(Vec<u8>, Node)> {
    FILES
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_bytes().to_vec(), Node::SysvIpc(i as u8)))
        .collect()
}

pub(super) fn lookup(name: &[u8]) -> Result<Node, Errno> {
    FILES
        .iter()
        .position(|n| n.as_bytes() == name)
        .map(|i| Node::SysvIpc(i as u8))
        .ok_or(Errno::ENOENT)
}

pub(super) fn generate(fs: &ProcFs, i: u8) -> Result<Vec<u8>, Errno> {
    let k = fs.kernel()?;
    let header = HEADERS.get(usize::from(i)).ok_or(Errno::ENOENT)?;
    let lines = match i {
        0 => k.ipc.msg.proc_lines(),
        1 => k.ipc.sem.proc_lines(),
        _ => k.ipc.shm.proc_lines(),
    };
    let mut out = header.as_bytes().to_vec();
    for l in lines {
        out.extend_from_slice(l.as_bytes());
    }
    Ok(out)
}
