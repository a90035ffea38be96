//! Mount options as text: the fstab-style words of a container's mount
//! list (`["rbind","ro","nosuid"]`, `["mode=755","size=65536k"]`) split
//! into mount(2) flags and the filesystem's own data, as runc splits them;
//! and tmpfs' data options (parsing mount(2)'s data string, printing what
//! /proc/PID/mounts shows).
//!
//! May use: `vfs::mount` (the flag bits). Pure: no filesystem is touched.

use crate::vfs::mount::*;
use abi::Errno;

/// Words of a mount list entry, sorted out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// mount(2) flags (MS_BIND and MS_REC for "bind"/"rbind").
    pub flags: u32,
    /// Options for the filesystem itself, in order ("mode=755", "size=1m").
    pub data: Vec<String>,
    /// runc's "tmpcopyup": fill a new tmpfs with what it covers.
    pub tmpcopyup: bool,
}

impl MountOptions {
    pub fn is_bind(&self) -> bool {
        self.flags & MS_BIND != 0
    }

    pub fn recursive(&self) -> bool {
        self.flags & MS_REC != 0
    }

    pub fn read_only(&self) -> bool {
        self.flags & MS_RDONLY != 0
    }
}

/// runc's table: a word either sets or clears a flag.
const FLAG_WORDS: &[(&str, bool, u32)] = &[
    ("acl", false, MS_POSIXACL),
    ("async", true, MS_SYNCHRONOUS),
    ("atime", true, MS_NOATIME),
    ("bind", false, MS_BIND),
    ("defaults", false, 0),
    ("dev", true, MS_NODEV),
    ("diratime", true, MS_NODIRATIME),
    ("dirsync", false, MS_DIRSYNC),
    ("exec", true, MS_NOEXEC),
    ("iversion", false, MS_I_VERSION),
    ("lazytime", false, MS_LAZYTIME),
    ("loud", true, MS_SILENT),
    ("mand", false, MS_MANDLOCK),
    ("noacl", true, MS_POSIXACL),
    ("noatime", false, MS_NOATIME),
    ("nodev", false, MS_NODEV),
    ("nodiratime", false, MS_NODIRATIME),
    ("noexec", false, MS_NOEXEC),
    ("noiversion", true, MS_I_VERSION),
    ("nolazytime", true, MS_LAZYTIME),
    ("nomand", true, MS_MANDLOCK),
    ("norelatime", true, MS_RELATIME),
    ("nostrictatime", true, MS_STRICTATIME),
    ("nosuid", false, MS_NOSUID),
    ("nosymfollow", false, MS_NOSYMFOLLOW),
    ("rbind", false, MS_BIND | MS_REC),
    ("relatime", false, MS_RELATIME),
    ("remount", false, MS_REMOUNT),
    ("ro", false, MS_RDONLY),
    ("rw", true, MS_RDONLY),
    ("silent", false, MS_SILENT),
    ("strictatime", false, MS_STRICTATIME),
    ("suid", true, MS_NOSUID),
    ("sync", false, MS_SYNCHRONOUS),
];

/// Propagation words: every sandbox mount is private, so they change nothing.
const PROPAGATION_WORDS: &[&str] = &[
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "unbindable",
    "runbindable",
];

/// Sort `words` out as runc does: flag words in order (a later "rw"
/// undoes an earlier "ro"), propagation ignored, the rest data.
pub fn parse(words: &[String]) -> MountOptions {
    let mut o = MountOptions::default();
    for w in words {
        let w = w.as_str();
        if let Some(&(_, clear, bit)) = FLAG_WORDS.iter().find(|(n, _, _)| *n == w) {
            if clear {
                o.flags &= !bit;
            } else {
                o.flags |= bit;
            }
        } else if PROPAGATION_WORDS.contains(&w) {
        } else if w == "tmpcopyup" {
            o.tmpcopyup = true;
        } else if w == "idmap" || w == "ridmap" {
            // ID-mapped mounts map nothing here: the Sentry's files keep
            // their owners.
        } else if !w.is_empty() {
            o.data.push(w.to_string());
        }
    }
    o
}

/// mount(2)'s data string as options ("a=1,b" → ["a=1", "b"]).
pub fn split_data(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data)
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Linux's memparse: a number (decimal, 0x hex or 0 octal) with an
/// optional k/m/g/t/p/e suffix.
pub fn memparse(s: &str) -> Option<u64> {
    let (skip, radix) = if s.starts_with("0x") || s.starts_with("0X") {
        (2, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (1, 8)
    } else {
        (0, 10)
    };
    let body = &s[skip..];
    let end = body
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(end);
    let n = match (num.is_empty(), radix) {
        (true, 8) => 0,
        (true, _) => return None,
        _ => u64::from_str_radix(num, radix).ok()?,
    };
    let shift = match suffix {
        "" => 0,
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        "t" | "T" => 40,
        "p" | "P" => 50,
        "e" | "E" => 60,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

fn parse_octal(s: &str) -> Option<u32> {
    u32::from_str_radix(s, 8).ok().filter(|m| *m <= 0o7777)
}

fn parse_id(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|&id| id != u32::MAX)
}

/// What a tmpfs was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TmpfsOptions {
    /// The most bytes its files may hold (None: no limit but memory's).
    pub size: Option<u64>,
    /// Permission bits of its root directory.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Default for TmpfsOptions {
    fn default() -> TmpfsOptions {
        TmpfsOptions {
            size: None,
            mode: 0o1777,
            uid: 0,
            gid: 0,
        }
    }
}

const PAGE: u64 = 4096;

impl TmpfsOptions {
    /// Parses tmpfs data options over `self`. `mem_total` sizes "size=N%".
    /// An unknown option or a bad value is EINVAL, as Linux's tmpfs says.
    /// nr_inodes, huge, mpol and inode32/64 are accepted and ignored.
    pub fn parse(mut self, opts: &[String], mem_total: u64) -> Result<TmpfsOptions, Errno> {
        for o in opts {
            let (key, val) = match o.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (o.as_str(), None),
            };
            match (key, val) {
                ("size", Some(v)) => {
                    let bytes = match v.strip_suffix('%') {
                        Some(p) => {
                            let pct: u64 = p.parse().map_err(|_| Errno::EINVAL)?;
                            mem_total / 100 * pct
                        }
                        None => memparse(v).ok_or(Errno::EINVAL)?,
                    };
                    // Linux keeps whole pages, rounding up; 0 is no limit.
                    let pages = bytes.div_ceil(PAGE);
                    self.size = (pages != 0).then(|| pages * PAGE);
                }
                ("nr_blocks", Some(v)) => {
                    let blocks = memparse(v).ok_or(Errno::EINVAL)?;
                    self.size = (blocks != 0).then(|| blocks.saturating_mul(PAGE));
                }
                ("mode", Some(v)) => self.mode = parse_octal(v).ok_or(Errno::EINVAL)?,
                ("uid", Some(v)) => self.uid = parse_id(v).ok_or(Errno::EINVAL)?,
                ("gid", Some(v)) => self.gid = parse_id(v).ok_or(Errno::EINVAL)?,
                ("nr_inodes", Some(v)) => {
                    memparse(v).ok_or(Errno::EINVAL)?;
                }
                ("huge", Some(_)) | ("mpol", Some(_)) => {}
                ("inode32", None) | ("inode64", None) | ("noswap", None) => {}
                _ => return Err(Errno::EINVAL),
            }
        }
        Ok(self)
    }

    /// The options as /proc/PID/mounts shows them (shmem_show_options).
    pub fn show(&self) -> String {
        let mut out = Vec::new();
        if let Some(s) = self.size {
            out.push(format!("size={}k", s / 1024));
        }
        if self.mode != 0o1777 {
            out.push(format!("mode={:03o}", self.mode));
        }
        if self.uid != 0 {
            out.push(format!("uid={}", self.uid));
        }
        if self.gid != 0 {
            out.push(format!("gid={}", self.gid));
        }
        out.push("inode64".into());
        out.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn runc_words() {
        let o = parse(&words(&["rbind", "ro", "rprivate", "nosuid", "mode=755"]));
        assert_eq!(o.flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID);
        assert_eq!(o.data, ["mode=755"]);
        assert!(o.is_bind() && o.recursive() && o.read_only());
        let o = parse(&words(&["ro", "rw", "nosuid", "suid", "tmpcopyup"]));
        assert_eq!(o.flags, 0);
        assert!(o.tmpcopyup);
    }

    #[test]
    fn sizes() {
        assert_eq!(memparse("65536k"), Some(64 << 20));
        assert_eq!(memparse("1M"), Some(1 << 20));
        assert_eq!(memparse("0x10"), Some(16));
        assert_eq!(memparse("010"), Some(8));
        assert_eq!(memparse("12"), Some(12));
        assert_eq!(memparse("1q"), None);
        assert_eq!(memparse(""), None);
    }

    #[test]
    fn tmpfs() {
        let t = TmpfsOptions::default()
            .parse(&words(&["size=65536k", "mode=755"]), 1 << 30)
            .unwrap();
        assert_eq!(t.size, Some(64 << 20));
        assert_eq!(t.mode, 0o755);
        assert_eq!(t.show(), "size=65536k,mode=755,inode64");
        let t = TmpfsOptions::default()
            .parse(&words(&["size=1000", "uid=5", "nr_inodes=1k"]), 0)
            .unwrap();
        assert_eq!(t.size, Some(4096));
        assert_eq!(t.show(), "size=4k,uid=5,inode64");
        let t = TmpfsOptions::default()
            .parse(&words(&["size=50%"]), 1 << 30)
            .unwrap();
        assert_eq!(t.size, Some(512 << 20));
        assert_eq!(TmpfsOptions::default().show(), "inode64");
        for bad in ["bogus", "mode=9", "size=1q", "uid=x", "size"] {
            assert_eq!(
                TmpfsOptions::default().parse(&words(&[bad]), 0),
                Err(Errno::EINVAL),
                "{bad}"
            );
        }
    }
}
