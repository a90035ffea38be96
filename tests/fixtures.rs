//! Files the harness creates on the host for cases to read: a small directory tree with fixed
//! modes and timestamps (so `ls -la` and `stat` print the same thing every time), and
//! text fed to applets on stdin.
//!
//! The tree is built under a private name and renamed into place once, then never modified,
//! so concurrent harnesses and repeated runs see identical metadata.

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::config::Config;

/// Bump when the tree's contents change, so stale trees are not reused.
const TREE_VERSION: u32 = 1;
/// 2001-02-03 04:05:06 UTC: every fixture's atime and mtime.
const FIXED_TIME: i64 = 981_173_106;

/// Text with duplicates, mixed case and numbers, for sort/wc/tr/head.
pub const LINES: &str = "pear\nApple\nbanana\n10 apples\n9 pears\napple\npear\nzucchini\n  leading space\n\nlast line\n";

/// The parent of the tree (`ls -la` on the tree shows it as `..`).
pub fn tree_parent(cfg: &Config) -> PathBuf {
    cfg.build_dir
        .join("fixtures")
        .join(format!("tree-v{TREE_VERSION}"))
}

/// The tree itself.
pub fn tree(cfg: &Config) -> PathBuf {
    tree_parent(cfg).join("t")
}

/// Creates the tree if it is missing. Safe to call from every case.
pub fn ensure_tree(cfg: &Config) -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| build_tree(cfg)).clone()
}

fn build_tree(cfg: &Config) -> Result<(), String> {
    let parent = tree_parent(cfg);
    if !parent.join("t").join(".complete").exists() {
        let fixtures = cfg.build_dir.join("fixtures");
        let staging = fixtures.join(format!(".tree-v{TREE_VERSION}.{}", std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        populate(&staging.join("t")).map_err(|e| format!("building fixture tree: {e}"))?;
        let _ = fs::remove_dir_all(&parent);
        if let Err(e) = fs::rename(&staging, &parent) {
            let _ = fs::remove_dir_all(&staging);
            // Another harness may have won the race; that is fine if its tree is complete.
            if !parent.join("t").join(".complete").exists() {
                return Err(format!(
                    "renaming fixture tree into {}: {e}",
                    parent.display()
                ));
            }
        }
    }
    // Setting the same time again is harmless and fixes the parent after the rename.
    set_times(&parent, false).map_err(|e| format!("fixture tree: {e}"))
}

fn populate(t: &Path) -> std::io::Result<()> {
    let sub = t.join("sub");
    fs::create_dir_all(&sub)?;
    fs::write(t.join("alpha.txt"), "alpha\nbeta\ngamma\n")?;
    fs::write(t.join("empty"), "")?;
    fs::write(t.join("run.sh"), "#!/bin/sh\necho hello\n")?;
    fs::write(
        t.join("big.bin"),
        (0..100_000u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<u8>>(),
    )?;
    fs::write(sub.join("nested.txt"), "nested\n")?;
    fs::hard_link(t.join("alpha.txt"), t.join("alpha.hard"))?;
    symlink("alpha.txt", t.join("alpha.link"))?;
    symlink("does-not-exist", t.join("dangling"))?;
    fs::write(t.join(".complete"), "")?;
    for (name, mode) in [
        ("alpha.txt", 0o644),
        ("empty", 0o600),
        ("run.sh", 0o755),
        ("big.bin", 0o640),
        ("sub/nested.txt", 0o444),
        (".complete", 0o644),
    ] {
        fs::set_permissions(t.join(name), fs::Permissions::from_mode(mode))?;
    }
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o750))?;
    fs::set_permissions(t, fs::Permissions::from_mode(0o755))?;
    // Children before parents: touching a child's times does not change the parent's mtime,
    // but creating entries does, so directories go last.
    for name in [
        "alpha.txt",
        "empty",
        "run.sh",
        "big.bin",
        "sub/nested.txt",
        ".complete",
        "alpha.link",
        "dangling",
    ] {
        set_times(&t.join(name), true)?;
    }
    set_times(&sub, false)?;
    set_times(t, false)?;
    if let Some(parent) = t.parent() {
        set_times(parent, false)?;
    }
    Ok(())
}

fn set_times(path: &Path, nofollow: bool) -> std::io::Result<()> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "NUL in path"))?;
    let time = libc::timespec {
        tv_sec: FIXED_TIME,
        tv_nsec: 0,
    };
    let times = [time, time];
    let flags = if nofollow {
        libc::AT_SYMLINK_NOFOLLOW
    } else {
        0
    };
    // SAFETY: c_path is a valid NUL-terminated string and times points to two timespecs.
    let rc = unsafe { libc::utimensat(libc::AT_FDCWD, c_path.as_ptr(), times.as_ptr(), flags) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
