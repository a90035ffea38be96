//! Starting a process from outside the sandbox: init at `runsc start`,
//! others at `runsc exec`. Both go through the kernel's
//! [`spawn_process`], the path `runsc do` uses for its init.

use crate::kernel::creds::Creds;
use crate::kernel::limits::Limits;
use crate::kernel::task::exec::{spawn_process, InitSpec};
use crate::kernel::{Kernel, ThreadGroup};
use std::os::fd::OwnedFd;
use std::sync::Arc;

/// What to run, as the OCI process object describes it.
#[derive(Debug)]
pub struct ProcessSpec {
    /// argv; argv[0] is looked up in PATH (from `envp`) when it has no '/'.
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Working directory inside the sandbox.
    pub cwd: Vec<u8>,
    pub creds: Creds,
    pub limits: Limits,
    /// Host fds that become the process's fds 0, 1, 2, … A terminal on fd
    /// 0 becomes its controlling terminal.
    pub stdio: Vec<OwnedFd>,
}

pub(super) fn spawn(k: &Arc<Kernel>, spec: ProcessSpec) -> Result<Arc<ThreadGroup>, String> {
    let Some(first) = spec.argv.first().cloned() else {
        return Err("no command given (process.args is empty)".into());
    };
    let prog = crate::boot::find_program(&k.mounts, &spec.cwd, &first, &spec.envp);
    let files = crate::fs::host::donate_stdio(k, spec.stdio);
    let init = InitSpec {
        argv: spec.argv,
        envp: spec.envp,
        cwd: spec.cwd,
        creds: spec.creds,
        files,
        prog,
    };
    let (tg, _thread) = spawn_process(k, init, spec.limits).map_err(|e| {
        format!(
            "cannot run {}: {}",
            String::from_utf8_lossy(&first),
            crate::boot::describe(e)
        )
    })?;
    Ok(tg)
}
