//! /proc/PID/mounts and /proc/PID/mountinfo, from the mount namespace.

use crate::fs::devnum;
use crate::vfs::mount::{Mount, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY};
use crate::vfs::{MountNamespace, Path};
use std::sync::Arc;

/// A path or name as the mount tables show it: space, tab, newline and
/// backslash in octal escapes.
pub(super) fn escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        match b {
            b' ' | b'\t' | b'\n' | b'\\' => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            b => out.push(b),
        }
    }
    out
}

/// The per-mount options ("rw,nosuid,nodev,noexec,relatime").
pub(super) fn mount_options(flags: u32) -> String {
    let mut o = String::from(if flags & MS_RDONLY != 0 { "ro" } else { "rw" });
    for (bit, name) in [
        (MS_NOSUID, ",nosuid"),
        (MS_NODEV, ",nodev"),
        (MS_NOEXEC, ",noexec"),
    ] {
        if flags & bit != 0 {
            o.push_str(name);
        }
    }
    o.push_str(",relatime");
    o
}

/// One mount as the tables need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct MountLine {
    pub id: u32,
    pub parent: u32,
    pub dev: u64,
    pub mount_point: Vec<u8>,
    pub flags: u32,
    pub fs_type: String,
    pub source: String,
}

fn line(m: &Arc<Mount>, root: &Path) -> MountLine {
    let at = Path {
        mount: m.clone(),
        dentry: m.root.clone(),
    };
    MountLine {
        id: m.id,
        // The root mount's parent is outside the namespace: it names itself.
        parent: m.parent.as_ref().map_or(m.id, |(p, _)| p.id),
        dev: m.root.inode.attr().map(|a| a.dev).unwrap_or(0),
        mount_point: at.to_bytes(root),
        flags: m.flags,
        fs_type: m.fs_type.clone(),
        source: m.source.clone(),
    }
}

pub(super) fn lines(ns: &MountNamespace, root: &Path) -> Vec<MountLine> {
    ns.all().iter().map(|m| line(m, root)).collect()
}

pub(super) fn format_mounts(lines: &[MountLine]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(&escape(l.source.as_bytes()));
        out.push(b' ');
        out.extend_from_slice(&escape(&l.mount_point));
        out.extend_from_slice(
            format!(" {} {} 0 0\n", l.fs_type, mount_options(l.flags)).as_bytes(),
        );
    }
    out
}

pub(super) fn format_mountinfo(lines: &[MountLine]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        let dev = format!("{}:{}", devnum::major(l.dev), devnum::minor(l.dev));
        out.extend_from_slice(format!("{} {} {dev} / ", l.id, l.parent).as_bytes());
        out.extend_from_slice(&escape(&l.mount_point));
        let super_opts = if l.flags & MS_RDONLY != 0 { "ro" } else { "rw" };
        out.extend_from_slice(format!(" {} - {} ", mount_options(l.flags), l.fs_type).as_bytes());
        out.extend_from_slice(&escape(l.source.as_bytes()));
        out.extend_from_slice(format!(" {super_opts}\n").as_bytes());
    }
    out
}

pub(super) fn mounts(ns: &MountNamespace, root: &Path) -> Vec<u8> {
    format_mounts(&lines(ns, root))
}

pub(super) fn mountinfo(ns: &MountNamespace, root: &Path) -> Vec<u8> {
    format_mountinfo(&lines(ns, root))
}
