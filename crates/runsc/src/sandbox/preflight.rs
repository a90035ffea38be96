//! Checks at `create` of what `start` will need, so that the error comes
//! from `create`, as runc's does (with `start`'s words: "cannot run X: No
//! such file or directory").
//!
//! This matters to Docker: a failed `start` leaves containerd's task in
//! the "created" state while the sandbox exits, containerd refuses to
//! delete it ("task must be stopped before deletion") and the shim is
//! left behind. A failed `create` is cleaned up.

use oci_spec::runtime::Process;
use sentry::kernel::creds::Creds;
use sentry::kernel::Kernel;
use sentry::vfs::{FileType, Path, Walk};

/// The container's program (process.args[0], looked up in the process's
/// PATH) exists in the sandbox's root as an executable file.
pub fn check_program(k: &Kernel, process: &Process) -> Result<(), String> {
    let Some(first) = process.args().as_ref().and_then(|a| a.first()) else {
        return Err("no command given (process.args is empty)".into());
    };
    let envp: Vec<Vec<u8>> = process
        .env()
        .iter()
        .flatten()
        .map(|e| e.as_bytes().to_vec())
        .collect();
    let cwd = process.cwd().to_string_lossy().into_owned().into_bytes();
    let prog = sentry::boot::find_program(&k.mounts, &cwd, first.as_bytes(), &envp);
    let refuse = |e| format!("cannot run {first}: {}", sentry::boot::describe(e));
    if !prog.contains(&b'/') {
        // Not found in PATH (find_program gives the name back): the words
        // `start` would use.
        return Err(refuse(abi::Errno::ENOENT));
    }
    let ns = &k.mounts;
    let root = Path {
        mount: ns.root.clone(),
        dentry: ns.root.root.clone(),
    };
    let creds = Creds::new(0, 0);
    let mut w = Walk::new(ns, &root, &creds);
    let start = w.walk(&root, &cwd, true).unwrap_or_else(|_| root.clone());
    let p = w.walk(&start, &prog, true).map_err(refuse)?;
    let attr = p.dentry.inode.attr().map_err(refuse)?;
    if attr.file_type() != FileType::Regular || attr.mode & 0o111 == 0 {
        return Err(refuse(abi::Errno::EACCES));
    }
    Ok(())
}
