//! /proc/PID/fd (one link per open fd) and /proc/PID/fdinfo.

use super::inode::Node;
use super::pid::{find, path_text, reader_root, PidRef};
use super::{root, ProcFs};
use crate::fs::devnum;
use crate::vfs::inode::S_IFMT;
use crate::vfs::{Attr, FdTable, File, FileType, Path};
use abi::Errno;
use std::sync::Arc;

/// The fd table of the process, if it still has one.
fn table(fs: &ProcFs, r: PidRef) -> Result<Arc<FdTable>, Errno> {
    find(fs, r)?
        .view()
        .and_then(|v| v.fds())
        .ok_or(Errno::ENOENT)
}

fn file(fs: &ProcFs, r: PidRef, n: i32) -> Result<Arc<File>, Errno> {
    table(fs, r)?.get(n).map_err(|_| Errno::ENOENT)
}

pub(super) fn count(fs: &ProcFs, r: PidRef) -> u64 {
    table(fs, r).map_or(0, |t| t.count() as u64)
}

pub(super) fn entries(fs: &ProcFs, r: PidRef, info: bool) -> Result<Vec<(Vec<u8>, Node)>, Errno> {
    find(fs, r)?;
    let Ok(t) = table(fs, r) else {
        return Ok(Vec::new());
    };
    Ok(t.fds()
        .into_iter()
        .map(|(n, _)| {
            (
                n.to_string().into_bytes(),
                if info {
                    Node::FdInfo(r, n)
                } else {
                    Node::Fd(r, n)
                },
            )
        })
        .collect())
}

pub(super) fn lookup(fs: &ProcFs, r: PidRef, name: &[u8], info: bool) -> Result<Node, Errno> {
    let n = root::parse_id(name).ok_or(Errno::ENOENT)?;
    file(fs, r, n)?;
    Ok(if info {
        Node::FdInfo(r, n)
    } else {
        Node::Fd(r, n)
    })
}

/// The link's permissions tell how the file is open: r-x for reading,
/// -wx for writing, rwx for both (ENOENT once the fd is closed).
pub(super) fn link_mode(fs: &ProcFs, r: PidRef, n: i32) -> Result<u32, Errno> {
    let f = file(fs, r, n)?;
    let mut mode = 0;
    if f.readable() {
        mode |= 0o500;
    }
    if f.writable() {
        mode |= 0o300;
    }
    Ok(mode)
}

/// Names of the character devices a host may hand in as stdio.
const CHAR_DEVICES: [((u32, u32), &str); 8] = [
    ((1, 3), "/dev/null"),
    ((1, 5), "/dev/zero"),
    ((1, 7), "/dev/full"),
    ((1, 8), "/dev/random"),
    ((1, 9), "/dev/urandom"),
    ((5, 0), "/dev/tty"),
    ((5, 1), "/dev/console"),
    ((5, 2), "/dev/ptmx"),
];

/// Unix98 pty slaves: majors 136 to 143.
const PTS_MAJORS: std::ops::Range<u32> = 136..144;

/// How a file that has no path is named: pipes, sockets and anonymous
/// files as Linux names them; a device or file the host handed in by its
/// device name, or as gVisor names host files.
pub(super) fn anon_name(a: &Attr) -> String {
    let (ma, mi) = (devnum::major(a.rdev), devnum::minor(a.rdev));
    // Anonymous files (eventfd, epoll...) have no file type bits at all.
    if a.mode & S_IFMT == 0 {
        return "anon_inode:[unknown]".into();
    }
    match a.file_type() {
        FileType::Fifo => format!("pipe:[{}]", a.ino),
        FileType::Socket => format!("socket:[{}]", a.ino),
        FileType::CharDev if PTS_MAJORS.contains(&ma) => {
            format!("/dev/pts/{}", (ma - PTS_MAJORS.start) * 256 + mi)
        }
        FileType::CharDev => match CHAR_DEVICES.iter().find(|(d, _)| *d == (ma, mi)) {
            Some((_, name)) => name.to_string(),
            None => format!("/dev/char/{ma}:{mi}"),
        },
        _ => format!("host:[{}]", a.ino),
    }
}

pub(super) fn readlink(fs: &ProcFs, r: PidRef, n: i32) -> Result<Vec<u8>, Errno> {
    let f = file(fs, r, n)?;
    match &f.path {
        Some(p) => Ok(path_text(p, &reader_root(&*fs.kernel()?))),
        None => Ok(match f.ops.anon_name() {
            Some(name) => format!("anon_inode:{name}"),
            None => f
                .attr()
                .map_or_else(|_| "anon_inode:[unknown]".into(), |a| anon_name(&a)),
        }
        .into_bytes()),
    }
}

/// Opening fd/N opens what the fd refers to. Files without a path
/// (pipes, sockets, anonymous files) cannot be reopened yet: ENXIO, which
/// is what Linux answers for sockets and anonymous inodes.
pub(super) fn follow(fs: &ProcFs, r: PidRef, n: i32) -> Result<Path, Errno> {
    file(fs, r, n)?.path.clone().ok_or(Errno::ENXIO)
}

/// O_LARGEFILE: Linux sets it on every file open(2) opens on 64-bit.
const O_LARGEFILE: u32 = 0o100000;

pub(super) fn info(fs: &ProcFs, r: PidRef, n: i32) -> Result<Vec<u8>, Errno> {
    let t = table(fs, r)?;
    let f = t.get(n).map_err(|_| Errno::ENOENT)?;
    let mut flags = f.flags();
    if t.get_cloexec(n).unwrap_or(false) {
        flags |= libc::O_CLOEXEC as u32;
    }
    if f.path.is_some() {
        flags |= O_LARGEFILE;
    }
    let pos = *f.pos.lock();
    let mnt_id = f.path.as_ref().map_or(0, |p| p.mount.id);
    let ino = f.attr().map_or(0, |a| a.ino);
    let (more_flags, lines) = crate::fs::pidfd::fdinfo(&f).unwrap_or_default();
    let mut s = format_info(pos, flags | more_flags, mnt_id, ino);
    s.push_str(&lines);
    Ok(s.into_bytes())
}

pub(super) fn format_info(pos: i64, flags: u32, mnt_id: u32, ino: u64) -> String {
    format!("pos:\t{pos}\nflags:\t0{flags:o}\nmnt_id:\t{mnt_id}\nino:\t{ino}\n")
}
