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
    open_exec_at(w, p)
}

/// Open the file at `p` for exec, with exec's checks.
fn open_exec_at(w: &mut Walk, p: Path) -> Result<Arc<File>, Errno> {
    let a = p.dentry.inode.attr()?;
    if a.is_dir() || a.file_type() != crate::vfs::FileType::Regular {
        return Err(Errno::EACCES);
    }
    crate::vfs::perm::check(&a, w.creds, crate::vfs::perm::MAY_EXEC)?;
    if p.mount.flags() & crate::vfs::mount::MS_NOEXEC != 0 {
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
) -> Result<(Arc<Mm>, Regs), loader::LoadError> {
    let mm = Arc::new(Mm::new(k.platform.as_ref(), k.mf.clone())?);
    let open_interp = |name: &[u8]| -> Result<Arc<File>, Errno> {
        let root = w.root.clone();
        let mut iw = Walk::new(w.ns, &root, w.creds);
        // A missing interpreter is ENOENT, as Linux reports it.
        open_exec(&mut iw, start, name)
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
        vdso: k.vdso.get(),
    };
    let loaded = loader::load(&mm, &spec)?;
    Ok((mm, Regs::initial(loaded.entry, loaded.sp)))
}

impl Task {
    /// execve(2) once the arguments are read. On success the task runs the
    /// new program when the syscall returns.
    /// `dirfd` and `path` as execveat takes them; `follow`: a symlink as
    /// the last component is followed (else ELOOP); `empty_path`: an empty
    /// `path` means the file `dirfd` refers to (AT_EMPTY_PATH, fexecve).
    pub fn execve(
        &mut self,
        path: &[u8],
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
        dirfd: i32,
        follow: bool,
        empty_path: bool,
    ) -> Result<(), Errno> {
        if path.is_empty() && !empty_path {
            return Err(Errno::ENOENT);
        }
        let start = self.start_dir(dirfd, path)?;
        // The name the new program knows itself by (AT_EXECFN, a script's
        // argument): relative to a directory fd, Linux names it through
        // /dev/fd, and such a name is gone after exec if the fd is
        // close-on-exec.
        let through_fd = dirfd != libc::AT_FDCWD && path.first() != Some(&b'/');
        let name: Vec<u8> = match (through_fd, path.is_empty()) {
            (false, _) => path.to_vec(),
            (true, true) => format!("/dev/fd/{dirfd}").into_bytes(),
            (true, false) => [format!("/dev/fd/{dirfd}/").as_bytes(), path].concat(),
        };
        let inaccessible = through_fd && self.fds.get_cloexec(dirfd)?;
        let k = self.k.clone();
        let creds = self.creds.clone();
        let (root, cwd) = {
            let st = self.fs.st.lock();
            (st.root.clone(), st.cwd.clone())
        };
        let mut w = Walk::new(&k.mounts, &root, &creds);
        let target = if path.is_empty() {
            start.clone()
        } else {
            let p = w.walk(&start, path, follow)?;
            if !follow && p.dentry.inode.attr()?.file_type() == crate::vfs::FileType::Symlink {
                return Err(Errno::ELOOP);
            }
            p
        };
        let first = open_exec_at(&mut w, target)?;
        let (file, argv) = follow_interpreters(&mut w, &cwd, first, &name, argv, inaccessible)?;
        // The command name: the last component of the path, or with
        // AT_EMPTY_PATH the name of the file that runs (an interpreter's,
        // for a script).
        let comm_name = match (&file.path, path.is_empty()) {
            (Some(p), true) => p.dentry.name(),
            _ => path.rsplit(|&b| b == b'/').next().unwrap_or(path).to_vec(),
        };
        let (mm, regs) = match load_program(&k, &file, &mut w, &cwd, &argv, &envp, &name, &creds) {
            Ok(r) => r,
            Err(loader::LoadError::Before(e)) => return Err(e),
            Err(loader::LoadError::After(e)) => {
                // The old image is gone in Linux by now: the process dies.
                tracing::info!("exec: {e} after the point of no return");
                self.become_sole_thread();
                super::clone::complete_vfork(self);
                self.force_signal(abi::signal::SigInfo {
                    signo: abi::signal::SIGSEGV,
                    code: abi::signal::SI_KERNEL,
                    ..Default::default()
                });
                self.keep_regs = true;
                return Ok(());
            }
        };

        // Point of no return: other threads go, this one becomes the leader.
        self.become_sole_thread();
        if self.clear_child_tid != 0 {
            if self.mm.write_obj(self.clear_child_tid, &0u32).is_ok() {
                let _ =
                    crate::kernel::futex::wake(&self.mm, self.clear_child_tid, 1, u32::MAX, false);
            }
            self.clear_child_tid = 0;
        }
        self.robust_list = (0, 0);
        if self.creds.keep_caps {
            // PR_SET_KEEPCAPS lasts until the next execve.
            let mut c = (*self.creds).clone();
            c.keep_caps = false;
            self.creds = Arc::new(c);
        }
        crate::kernel::ipc::shm::exit_mm(&self.mm, self.tg.tgid);
        self.mm = mm;
        self.regs = regs;
        self.fp = FpState::initial();
        self.keep_regs = true;
        self.restart_block = None;
        self.fds.exec();
        self.tg.posix_timers.clear();
        *self.tg.exe.lock() = file.path.clone();
        crate::kernel::proc_view::publish(self);
        self.set_comm(&comm_name);
        self.altstack = abi::signal::StackT {
            flags: abi::signal::SS_DISABLE,
            ..Default::default()
        };
        // Handled signals go back to the default action; ignored ones stay
        // ignored. A shared handler table is unshared first.
        let old = self.tg.sighand();
        let fresh = Arc::new(old.copy());
        {
            let mut acts = fresh.actions.lock();
            for a in acts.iter_mut() {
                if a.handler != abi::signal::SIG_IGN {
                    *a = Default::default();
                } else {
                    a.flags = 0;
                    a.mask = 0;
                    a.restorer = 0;
                }
            }
        }
        *self.tg.sighand.lock() = fresh;
        super::clone::complete_vfork(self);
        Ok(())
    }

    /// exec from a multi-threaded process: every other thread exits, and
    /// the caller takes the thread-group leader's id.
    fn become_sole_thread(&mut self) {
        let others: Vec<Arc<super::TaskShared>> = self
            .tg
            .tasks
            .lock()
            .iter()
            .filter(|t| t.tid != self.tid)
            .cloned()
            .collect();
        if others.is_empty() && self.tid == self.tg.tgid {
            return;
        }
        for t in &others {
            t.kill();
        }
        while self.tg.tasks.lock().iter().any(|t| t.tid != self.tid) {
            if self.killed() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if self.tid != self.tg.tgid {
            let old = self.tid;
            let new = self.tg.tgid;
            let shared = super::TaskShared::new(new, self.shared.comm.lock().clone());
            shared.seccomp.set(self.shared.seccomp.get());
            {
                let mut st = self.tg.sig.lock();
                let s = st.tasks.remove(&old).unwrap_or_default();
                st.tasks.insert(new, s);
            }
            {
                let mut tasks = self.tg.tasks.lock();
                tasks.retain(|t| t.tid != old);
                tasks.push(shared.clone());
            }
            {
                let mut p = self.k.pids.lock();
                p.tasks.remove(&old);
                p.tasks.insert(new, shared.clone());
            }
            self.tid = new;
            *shared.interrupter.lock() = Some(self.ctx.interrupter());
            self.shared = shared;
        }
    }
}

/// Open `path` for execution, following "#!" interpreters (at most 4 deep,
/// as Linux); returns the file to load and the argument vector it gets.
pub fn open_with_interpreters(
    w: &mut Walk,
    start: &Path,
    path: &[u8],
    argv: Vec<Vec<u8>>,
) -> Result<(Arc<File>, Vec<Vec<u8>>), Errno> {
    let file = open_exec(w, start, path)?;
    follow_interpreters(w, start, file, path, argv, false)
}

/// Run "#!" scripts: from `file`, known to the new program as `name`, to
/// the binary that finally runs, building its argv. Interpreters are looked
/// up from `cwd`. `inaccessible`: the script's name will not exist after
/// exec (a close-on-exec fd of execveat), so a script cannot run (ENOENT).
fn follow_interpreters(
    w: &mut Walk,
    cwd: &Path,
    file: Arc<File>,
    name: &[u8],
    argv: Vec<Vec<u8>>,
    inaccessible: bool,
) -> Result<(Arc<File>, Vec<Vec<u8>>), Errno> {
    let start = cwd;
    let mut prog = name.to_vec();
    let mut argv = argv;
    let mut file = file;
    for depth in 0.. {
        let head = read_head(&file)?;
        let Some((interp, arg)) = parse_shebang(&head)? else {
            break;
        };
        if depth >= 4 {
            return Err(Errno::ELOOP);
        }
        if inaccessible {
            return Err(Errno::ENOENT);
        }
        let mut nargv = vec![interp.clone()];
        if let Some(a) = arg {
            nargv.push(a);
        }
        nargv.push(prog.clone());
        nargv.extend(argv.into_iter().skip(1));
        argv = nargv;
        file = open_exec(w, start, &interp)?;
        prog = interp;
    }
    Ok((file, argv))
}

/// The first bytes of a file (for "#!" detection).
fn read_head(file: &File) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; 256];
    let mut dst = crate::mm::IoDst::buf(&mut buf);
    let n = file.ops.read(file, &mut dst, 0)? as usize;
    buf.truncate(n);
    Ok(buf)
}

/// Parse a "#!" line: the interpreter and its optional single argument.
fn parse_shebang(head: &[u8]) -> Result<Option<(Vec<u8>, Option<Vec<u8>>)>, Errno> {
    if !head.starts_with(b"#!") {
        return Ok(None);
    }
    let line = &head[2..];
    let end = line.iter().position(|&b| b == b'\n');
    let line = match end {
        Some(e) => &line[..e],
        None => {
            // No newline within the first 256 bytes: the interpreter name must not be cut.
            let trimmed: &[u8] = line;
            let first_tok_end = trimmed
                .iter()
                .skip_while(|b| **b == b' ' || **b == b'\t')
                .position(|b| *b == b' ' || *b == b'\t');
            if first_tok_end.is_none() {
                return Err(Errno::ENOEXEC);
            }
            trimmed
        }
    };
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let line: Vec<u8> = line.iter().copied().skip_while(is_ws).collect();
    let line: &[u8] = {
        let mut l = line.as_slice();
        while l.last().is_some_and(|b| is_ws(b) || *b == 0) {
            l = &l[..l.len() - 1];
        }
        l
    };
    if line.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    let split = line.iter().position(is_ws);
    let (interp, rest) = match split {
        Some(i) => (&line[..i], Some(&line[i..])),
        None => (line, None),
    };
    let arg = rest
        .map(|r| r.iter().copied().skip_while(is_ws).collect::<Vec<u8>>())
        .filter(|a| !a.is_empty());
    Ok(Some((interp.to_vec(), arg)))
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
    spawn_process(k, spec, Default::default()).map(|(_, thread)| thread)
}

/// Create a process without a parent — the sandbox's init (the first one
/// created gets PID 1), or one started from outside the sandbox, as by
/// `runsc exec` — with resource limits `limits`, and start it on its own
/// host thread.
pub fn spawn_process(
    k: &Arc<Kernel>,
    spec: InitSpec,
    limits: crate::kernel::limits::Limits,
) -> Result<(Arc<ThreadGroup>, std::thread::JoinHandle<()>), Errno> {
    let root = Path {
        mount: k.mounts.root.clone(),
        dentry: k.mounts.root.root.clone(),
    };
    let creds = Arc::new(spec.creds);
    let mut w = Walk::new(&k.mounts, &root, &creds);
    let cwd = w
        .walk(&root, &spec.cwd, true)
        .unwrap_or_else(|_| root.clone());
    let name = spec.prog.clone();
    let (file, argv) = open_with_interpreters(&mut w, &cwd, &name, spec.argv.clone())?;
    let (mm, regs) = load_program(k, &file, &mut w, &cwd, &argv, &spec.envp, &name, &creds)
        .map_err(|e| e.errno())?;

    let fds = Arc::new(crate::vfs::FdTable::new());
    for (i, f) in spec.files.into_iter().enumerate() {
        fds.install_at(i as i32, f, false, u64::MAX)
            .map_err(|_| Errno::EBADF)?;
    }
    let tid = {
        let mut p = k.pids.lock();
        p.alloc().ok_or(Errno::EAGAIN)?
    };
    let tg = ThreadGroup::new(
        tid,
        Arc::new(Default::default()),
        limits,
        std::sync::Weak::new(),
    );
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
        altstack: abi::signal::StackT {
            flags: abi::signal::SS_DISABLE,
            ..Default::default()
        },
        clear_child_tid: 0,
        robust_list: (0, 0),
        last_fault: None,
        keep_regs: false,
        exited: false,
        restart: None,
        restart_block: None,
        vfork_done: None,
    };
    crate::kernel::proc_view::publish(&task);
    let tg = task.tg.clone();
    let thread = std::thread::Builder::new()
        .name(format!("task-{tid}"))
        .spawn(move || super::exit::run_guarded(task))
        .map_err(|_| Errno::EAGAIN)?;
    Ok((tg, thread))
}
