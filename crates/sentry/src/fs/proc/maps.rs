//! /proc/PID/maps, from the address space's VMAs.

use super::pid::Proc;
use crate::fs::devnum;
use crate::mm::vma::{Backing, VmaName};
use std::fmt::Write;

/// One line of maps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct MapLine {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub shared: bool,
    pub offset: u64,
    pub dev: u64,
    pub ino: u64,
    /// A file's path, "[heap]", "[stack]"... or nothing.
    pub name: Vec<u8>,
}

/// The lines of a process's maps (none once it has no memory).
pub(super) fn lines(p: &Proc) -> Vec<MapLine> {
    let Some(mm) = p.view().and_then(|v| v.mm()) else {
        return Vec::new();
    };
    let st = mm.st.lock();
    st.vmas
        .iter()
        .map(|v| {
            let (offset, dev, ino, mut name) = match &v.backing {
                Backing::File { m, off } => {
                    let (dev, ino, path) = m.describe();
                    (*off, dev, ino, path.into_bytes())
                }
                Backing::Anon => (0, 0, 0, Vec::new()),
            };
            let label: &[u8] = match v.name {
                VmaName::Heap => b"[heap]",
                VmaName::Stack => b"[stack]",
                VmaName::Vdso => b"[vdso]",
                VmaName::Vvar => b"[vvar]",
                VmaName::None => b"",
            };
            if name.is_empty() {
                name = label.to_vec();
            }
            MapLine {
                start: v.start,
                end: v.end,
                read: v.prot.read(),
                write: v.prot.write(),
                exec: v.prot.exec(),
                shared: v.shared,
                offset,
                dev,
                ino,
                name,
            }
        })
        .collect()
}

/// Where the name column starts: Linux pads the fields before it to
/// `25 + 6 * sizeof(void *) - 1` characters and adds a space.
const NAME_COLUMN: usize = 25 + 6 * 8 - 1;

pub(super) fn format(lines: &[MapLine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.len() * 80);
    let mut s = String::with_capacity(NAME_COLUMN + 2);
    for l in lines {
        s.clear();
        let flag = |on: bool, c: char| if on { c } else { '-' };
        let _ = write!(
            s,
            "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
            l.start,
            l.end,
            flag(l.read, 'r'),
            flag(l.write, 'w'),
            flag(l.exec, 'x'),
            if l.shared { 's' } else { 'p' },
            l.offset,
            devnum::major(l.dev),
            devnum::minor(l.dev),
            l.ino
        );
        out.extend_from_slice(s.as_bytes());
        if !l.name.is_empty() {
            out.resize(out.len() + NAME_COLUMN.saturating_sub(s.len()), b' ');
            out.push(b' ');
            out.extend_from_slice(&l.name);
        }
        out.push(b'\n');
    }
    out
}
