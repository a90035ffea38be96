//! execve: replace the task's program.

use super::Task;
use crate::kernel::thread_group::ThreadGroup;
use crate::kernel::Kernel;
use crate::loader::{self, LoadSpec};
use crate::mm::Mm;
use crate::vfs::{File, Path, Walk};
use abi::{Errno, Regs};
use platform::FpState;
use std::sync::Arc;

/// Open `name` for execution: a regular file with some execute permission.
pub fn open_exec(w: &mut Walk, start: &Path, name: &[u8]) -> Result<Arc<File>, Errno> {
    let p = w.walk(start, name, true)?;
    let a = p.dentry.inode.attr()?;
    if a.is_dir() || a.file_type() != crate::vfs::FileType::Regular {
        return Err(Errno::EACCES);
    }
    crate::vfs::perm::check(&a, w.creds, crate::vfs::perm::MAY_EXEC)?;
    if p.mount.flags & crate::vfs::mount::MS_NOEXEC != 0 {
        return Err(Errno::EACCES);
    }
    crate::vfs::open::open_path(w, p, libc::O_RDONLY as u32, false)
}

/// A fresh address space with `file` loaded; returns it and the start registers.
pub fn load_program(
    k: &Arc<Kernel>,
    file: &Arc<File>,
    w: &mut Walk,
    start: &Path,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    execfn: &[u8],
    creds: &crate::kernel::creds::Creds,
) -> Result<(Arc<Mm>, Regs), Errno> {
    let mm = Arc::new(Mm::new(k.platform.as_ref(), k.mf.clone())?);
    let open_interp = |name: &[u8]| -> Result<Arc<File>, Errno> {
        let root = w.root.clone();
        let mut iw = Walk::new(w.ns, &root, w.creds);
        let f = open_exec(&mut iw, start, name);
        // A missing interpreter is ENOENT, as Linux reports it.
        f
    };
    let spec = LoadSpec {
        file,
        argv,
        envp,
        execfn,
        uid: creds.uid,
        euid: creds.euid,
        gid: creds.gid,
        egid: creds.egid,
        open_interp: &open_interp,
    };
    let loaded = loader::load(&mm, &spec)?;
    Ok((mm, Regs::initial(loaded.entry, loaded.sp)))
}

impl Task {
    /// execve(2) once the arguments are read. On success the task runs the
    /// new program when the syscall returns.
    pub fn execve(&mut self, path: &[u8], argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>, dirfd: i32, follow: bool) -> Result<(), Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let start = self.start_dir(dirfd, path)?;
        let k = self.k.clone();
        let creds = self.creds.clone();
        let root = self.fs.st.lock().root.clone();
        let mut w = Walk::new(&k.mounts, &root, &creds);
        if !follow {
            let p = w.walk(&start, path, false)?;
            if p.dentry.inode.attr()?.file_type() == crate::vfs::FileType::Symlink {
                return Err(Errno::ELOOP);
            }
        }
        let file = open_exec(&mut w, &start, path)?;
        let (mm, regs) = load_program(&k, &file, &mut w, &start, &argv, &envp, path, &creds)?;
        // Point of no return.
        self.mm = mm;
        self.regs = regs;
        self.fp = FpState::initial();
        self.keep_regs = true;
        self.fds.exec();
        *self.tg.exe.lock() = file.path.clone();
        let base = path.rsplit(|&b| b == b'/').next().unwrap_or(path).to_vec();
        self.set_comm(&base);
        self.altstack = abi::signal::StackT { flags: abi::signal::SS_DISABLE, ..Default::default() };
        // Handled signals go back to the default action; ignored ones stay ignored.
        let sighand = self.tg.sighand();
        let mut acts = sighand.actions.lock();
        for a in acts.iter_mut() {
            if a.handler != abi::signal::SIG_IGN {
                *a = Default::default();
            }
        }
        Ok(())
    }
}

/// What the sandbox's first process runs.
pub struct InitSpec {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Working directory inside the sandbox.
    pub cwd: Vec<u8>,
    pub creds: crate::kernel::creds::Creds,
    /// Files for fds 0, 1, 2 (and more).
    pub files: Vec<Arc<File>>,
    /// The program to run (argv[0] resolved through PATH).
    pub prog: Vec<u8>,
}

/// Create PID 1 and start it on its own host thread.
pub fn spawn_init(k: &Arc<Kernel>, spec: InitSpec) -> Result<std::thread::JoinHandle<()>, Errno> {
    let root = Path { mount: k.mounts.root.clone(), dentry: k.mounts.root.root.clone() };
    let creds = Arc::new(spec.creds);
    let mut w = Walk::new(&k.mounts, &root, &creds);
    let cwd = w.walk(&root, &spec.cwd, true).unwrap_or_else(|_| root.clone());
    let name = spec.prog.clone();
    let file = open_exec(&mut w, &cwd, &name)?;
    let (mm, regs) = load_program(k, &file, &mut w, &cwd, &spec.argv, &spec.envp, &name, &creds)?;

    let fds = Arc::new(crate::vfs::FdTable::new());
    for (i, f) in spec.files.into_iter().enumerate() {
        fds.install_at(i as i32, f, false, u64::MAX).map_err(|_| Errno::EBADF)?;
    }
    let tid = {
        let mut p = k.pids.lock();
        p.alloc().ok_or(Errno::EAGAIN)?
    };
    let tg = ThreadGroup::new(tid, Arc::new(Default::default()), Default::default(), std::sync::Weak::new());
    *tg.exe.lock() = file.path.clone();
    let base = name.rsplit(|&b| b == b'/').next().unwrap_or(&name).to_vec();
    let shared = super::TaskShared::new(tid, base[..base.len().min(15)].to_vec());
    tg.tasks.lock().push(shared.clone());
    {
        let mut p = k.pids.lock();
        p.tasks.insert(tid, shared.clone());
        p.groups.insert(tid, tg.clone());
    }
    let task = Task {
        k: k.clone(),
        tid,
        shared,
        tg,
        mm,
        fds,
        fs: Arc::new(crate::kernel::fs_context::FsContext::new(root.clone(), cwd)),
        creds,
        regs,
        fp: FpState::initial(),
        ctx: k.platform.new_context(),
        altstack: abi::signal::StackT { flags: abi::signal::SS_DISABLE, ..Default::default() },
        clear_child_tid: 0,
        robust_list: (0, 0),
        last_fault: None,
        keep_regs: false,
        exited: false,
        restart: None,
        restart_block: None,
        vfork_done: None,
    };
    std::thread::Builder::new()
        .name(format!("task-{tid}"))
        .spawn(move || super::exit::run_guarded(task))
        .map_err(|_| Errno::EAGAIN)
}
