//! /proc/PID/mounts and /proc/PID/mountinfo, from the mount namespace, in
//! Linux's exact format (fs/proc_namespace.c), which Go's and systemd's
//! parsers read:
//!
//! ```text
//! mounts:    SOURCE MOUNTPOINT TYPE OPTS[,FSOPTS] 0 0
//! mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT MNTOPTS - TYPE SOURCE SBOPTS[,FSOPTS]
//! ```
//!
//! `OPTS` in mounts says "ro" when the mount or its filesystem is
//! read-only; in mountinfo the mount's own flag and the filesystem's are
//! separate fields. Every mount is private (no optional fields).

use crate::fs::devnum;
use crate::vfs::mount::{
    Mount, MS_NOATIME, MS_NODEV, MS_NODIRATIME, MS_NOEXEC, MS_NOSUID, MS_NOSYMFOLLOW, MS_RDONLY,
    MS_STRICTATIME,
};
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

/// The per-mount options ("rw,nosuid,nodev,noexec,relatime"): `ro` or `rw`
/// from `read_only`, the rest from the mount's flags in Linux's order.
pub(super) fn mount_options(flags: u32, read_only: bool) -> String {
    let mut o = String::from(if read_only { "ro" } else { "rw" });
    for (bit, name) in [
        (MS_NOSUID, ",nosuid"),
        (MS_NODEV, ",nodev"),
        (MS_NOEXEC, ",noexec"),
        (MS_NOATIME, ",noatime"),
        (MS_NODIRATIME, ",nodiratime"),
    ] {
        if flags & bit != 0 {
            o.push_str(name);
        }
    }
    // relatime is the default atime rule; strictatime and noatime replace it.
    if flags & (MS_NOATIME | MS_STRICTATIME) == 0 {
        o.push_str(",relatime");
    }
    if flags & MS_NOSYMFOLLOW != 0 {
        o.push_str(",nosymfollow");
    }
    o
}

/// One mount as the tables need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct MountLine {
    pub id: u32,
    pub parent: u32,
    pub dev: u64,
    /// The mounted dentry's path within its filesystem ("/" for its root).
    pub root: Vec<u8>,
    pub mount_point: Vec<u8>,
    /// Per-mount flags.
    pub flags: u32,
    /// The filesystem itself is read-only.
    pub sb_read_only: bool,
    pub fs_type: String,
    pub source: String,
    /// The filesystem's own options ("" or "size=65536k,mode=755,inode64").
    pub fs_options: String,
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
        root: m.root_path(),
        mount_point: at.to_bytes(root),
        flags: m.flags(),
        sb_read_only: m.sb.read_only(),
        fs_type: m.sb.fs_type.clone(),
        source: m.source.clone(),
        fs_options: m.sb.options(),
    }
}

pub(super) fn lines(ns: &MountNamespace, root: &Path) -> Vec<MountLine> {
    ns.all().iter().map(|m| line(m, root)).collect()
}

fn source_of(l: &MountLine) -> Vec<u8> {
    if l.source.is_empty() {
        b"none".to_vec()
    } else {
        escape(l.source.as_bytes())
    }
}

fn with_fs_options(mut opts: String, l: &MountLine) -> String {
    if !l.fs_options.is_empty() {
        opts.push(',');
        opts.push_str(&l.fs_options);
    }
    opts
}

pub(super) fn format_mounts(lines: &[MountLine]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(&source_of(l));
        out.push(b' ');
        out.extend_from_slice(&escape(&l.mount_point));
        let read_only = l.flags & MS_RDONLY != 0 || l.sb_read_only;
        let opts = with_fs_options(mount_options(l.flags, read_only), l);
        out.extend_from_slice(format!(" {} {opts} 0 0\n", l.fs_type).as_bytes());
    }
    out
}

pub(super) fn format_mountinfo(lines: &[MountLine]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        let dev = format!("{}:{}", devnum::major(l.dev), devnum::minor(l.dev));
        out.extend_from_slice(format!("{} {} {dev} ", l.id, l.parent).as_bytes());
        out.extend_from_slice(&escape(&l.root));
        out.push(b' ');
        out.extend_from_slice(&escape(&l.mount_point));
        let mnt = mount_options(l.flags, l.flags & MS_RDONLY != 0);
        out.extend_from_slice(format!(" {mnt} - {} ", l.fs_type).as_bytes());
        out.extend_from_slice(&source_of(l));
        let sb = if l.sb_read_only { "ro" } else { "rw" };
        out.extend_from_slice(format!(" {}\n", with_fs_options(sb.into(), l)).as_bytes());
    }
    out
}

pub(super) fn mounts(ns: &MountNamespace, root: &Path) -> Vec<u8> {
    format_mounts(&lines(ns, root))
}

pub(super) fn mountinfo(ns: &MountNamespace, root: &Path) -> Vec<u8> {
    format_mountinfo(&lines(ns, root))
}
