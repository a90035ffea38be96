//! Job control of a terminal, kept by the sandbox: the session a terminal
//! is the controlling terminal of and its foreground process group, the
//! job-control ioctls (TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP,
//! TIOCGSID), the background checks of reads, writes and termios
//! changes (SIGTTIN, SIGTTOU), the signals a terminal sends (its line
//! discipline's ^C, a window size change, a hangup) and /dev/tty.
//!
//! Every kind of terminal shares this: host terminals donated as stdio
//! (`fs::host`, whose settings live in the host) and pseudo-terminals
//! (`fs::devpts`, whose settings and line discipline live here). A
//! terminal's files are opened again for /dev/tty through its
//! [`TtyDevice`].
//!
//! Sandbox sessions and process groups are virtual: none of this reaches
//! the host terminal, whose own foreground group stays runsc's.
//!
//! Linux keeps a controlling-terminal pointer per process; here a process's
//! controlling terminal is the terminal owned by its session, which is the
//! same thing except after TIOCNOTTY by a process that is not the session
//! leader: such processes are listed per terminal (their children, which
//! Linux would also leave without one, are not).
//!
//! A terminal's owner is its session leader, held weakly: once the leader
//! has exited the terminal belongs to no session (Linux also sends SIGHUP
//! to the foreground group then; that is not done yet).
//!
//! A terminal donated to a process that the sandbox starts (init, or one
//! started by `runsc exec`) is that process's controlling terminal, as for
//! a shell started on a terminal. The process already runs by the time its
//! pid is known, so the terminal is bound on first use instead: to the
//! session of the first process that reads, writes or controls it (the
//! process itself or a child in its session, in practice).
//!
//! Lock order: a terminal's state, then the pid table, then a thread
//! group's locks; no signal is sent with a terminal's state locked, and the
//! registry of terminals is never held while one's state is locked.
//!
//! May use: kernel (thread groups, the pid table, sending signals), `mm`
//! (ioctl arguments), `vfs` (the file interface, for /dev/tty).

use super::current::Current;
use super::kernel::{Kernel, INIT_PID};
use super::send;
use super::thread_group::ThreadGroup;
use crate::mm::Mm;
use crate::vfs::file::FileOps;
use abi::signal::{SigInfo, SIGCONT, SIGHUP, SIGTTIN, SIGTTOU, SIG_DFL, SIG_IGN, SI_KERNEL};
use abi::Errno;
use parking_lot::Mutex;
use std::collections::HashSet;
use std::sync::{Arc, Weak};

/// CAP_SYS_ADMIN, which lets TIOCSCTTY steal a terminal from another session.
const CAP_SYS_ADMIN: u32 = 21;

pub const TIOCSCTTY: u32 = 0x540e;
pub const TIOCGPGRP: u32 = 0x540f;
pub const TIOCSPGRP: u32 = 0x5410;
pub const TIOCNOTTY: u32 = 0x5422;
pub const TIOCGSID: u32 = 0x5429;

/// A terminal as its files see it: how /dev/tty opens it again.
pub trait TtyDevice: Send + Sync {
    /// A new open file of this terminal (`flags` of the open), without
    /// the controlling-terminal side effects of a first open.
    fn open_again(&self, flags: u32) -> Result<Box<dyn FileOps>, Errno>;
}

enum DeviceRef {
    /// Kept alive by the terminal (a host terminal: its fd).
    Owned(Arc<dyn TtyDevice>),
    /// Alive while its files are (a pseudo-terminal, which holds the [`Tty`]).
    Borrowed(Weak<dyn TtyDevice>),
}

/// Every live terminal of every sandbox in this process, so that a session
/// leader's other controlling terminal and a sandbox's console can be
/// found (entries are compared by identity, never by number).
static TTYS: Mutex<Vec<Weak<Tty>>> = parking_lot::const_mutex(Vec::new());

/// The job-control state of one terminal.
pub struct Tty {
    k: Weak<Kernel>,
    st: Mutex<State>,
    device: Mutex<Option<DeviceRef>>,
    /// A pseudo-terminal's slave (never the sandbox's console).
    pseudo: bool,
}

impl std::fmt::Debug for Tty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tty")
    }
}

#[derive(Default)]
struct State {
    session: Option<Owner>,
    /// The foreground process group; 0 for none. Like Linux, it keeps its
    /// number after the group's last member is gone.
    pgrp: i32,
    /// Processes of the session that gave the terminal up (TIOCNOTTY).
    detached: HashSet<i32>,
}

enum Owner {
    /// The session of the first process to use the terminal.
    FirstUser,
    Leader(Weak<ThreadGroup>),
}

/// Send `sig` from the terminal (si_code SI_KERNEL) to every process of
/// group `pgid`. `protect_init`: the sandbox's init ignores it unless it
/// has a handler, as Linux's init of a PID namespace does.
pub fn signal_pgrp(k: &Kernel, pgid: i32, sig: i32, protect_init: bool) -> usize {
    let members: Vec<Arc<ThreadGroup>> = k
        .pids
        .lock()
        .groups
        .values()
        .filter(|g| g.pgid() == pgid && !g.is_zombie())
        .cloned()
        .collect();
    let info = SigInfo {
        signo: sig,
        code: SI_KERNEL,
        ..Default::default()
    };
    for g in &members {
        if protect_init && g.tgid == INIT_PID && g.sighand().get(sig).handler == SIG_DFL {
            continue;
        }
        send::send(g, None, info);
    }
    members.len()
}

/// Whether process group `pgid` of session `sid` is orphaned: no member
/// has a parent in another group of the same session (POSIX 2.2.2.52).
pub fn orphaned(k: &Kernel, pgid: i32, sid: i32) -> bool {
    let members: Vec<Arc<ThreadGroup>> = k
        .pids
        .lock()
        .groups
        .values()
        .filter(|g| g.pgid() == pgid && !g.is_zombie())
        .cloned()
        .collect();
    !members.iter().any(|m| {
        m.parent()
            .is_some_and(|p| p.pgid() != pgid && p.sid() == sid)
    })
}

impl Tty {
    /// A terminal with no session, in sandbox `k`.
    pub fn new(k: &Arc<Kernel>) -> Arc<Tty> {
        Self::make(k, false)
    }

    /// A pseudo-terminal slave's, in sandbox `k`.
    pub fn new_pseudo(k: &Arc<Kernel>) -> Arc<Tty> {
        Self::make(k, true)
    }

    fn make(k: &Arc<Kernel>, pseudo: bool) -> Arc<Tty> {
        let t = Arc::new(Tty {
            k: Arc::downgrade(k),
            st: Mutex::new(State::default()),
            device: Mutex::new(None),
            pseudo,
        });
        let mut all = TTYS.lock();
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&t));
        t
    }

    /// A terminal for a process being started: the controlling terminal
    /// of the session of its first user, with that user's group in the
    /// foreground.
    pub fn new_controlling(k: &Arc<Kernel>) -> Arc<Tty> {
        let t = Self::new(k);
        t.st.lock().session = Some(Owner::FirstUser);
        t
    }

    /// The terminal of sandbox `k`'s init (the host terminal `runsc do`
    /// runs on), if any; a pseudo-terminal of the sandbox never is.
    pub fn console(k: &Arc<Kernel>) -> Option<Arc<Tty>> {
        let kw = Arc::downgrade(k);
        let ttys: Vec<Arc<Tty>> = TTYS
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|t| Weak::ptr_eq(&t.k, &kw) && !t.pseudo)
            .collect();
        ttys.into_iter().find(|t| {
            let mut st = t.st.lock();
            t.owner(&mut st, None).is_some_and(|o| o.tgid == INIT_PID)
        })
    }

    /// The controlling terminal of session `sid` of sandbox `k`, if it has one.
    pub fn of_session(k: &Arc<Kernel>, sid: i32) -> Option<Arc<Tty>> {
        let kw = Arc::downgrade(k);
        let ttys: Vec<Arc<Tty>> = TTYS
            .lock()
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|t| Weak::ptr_eq(&t.k, &kw))
            .collect();
        ttys.into_iter().find(|t| {
            let mut st = t.st.lock();
            t.owner(&mut st, None).is_some_and(|o| o.tgid == sid)
        })
    }

    fn kernel(&self) -> Result<Arc<Kernel>, Errno> {
        self.k.upgrade().ok_or(Errno::EIO)
    }

    /// The leader of the session this terminal belongs to, forgetting a
    /// session whose leader has exited. `user`: who is using the terminal
    /// (binds a terminal waiting for its first user).
    fn owner(&self, st: &mut State, user: Option<&Current>) -> Option<Arc<ThreadGroup>> {
        let leader = match st.session.as_ref()? {
            Owner::FirstUser => {
                let user = user?;
                let k = self.k.upgrade()?;
                let sid = user.tg.sid();
                let leader = k
                    .pids
                    .lock()
                    .groups
                    .get(&sid)
                    .cloned()
                    .filter(|l| l.sid() == sid)?;
                st.session = Some(Owner::Leader(Arc::downgrade(&leader)));
                st.pgrp = user.tg.pgid();
                Some(leader)
            }
            Owner::Leader(w) => w.upgrade(),
        };
        match leader {
            Some(l) if !l.is_zombie() => Some(l),
            _ => {
                *st = State::default();
                None
            }
        }
    }

    /// The leader and foreground group, if `tg` has this terminal as its
    /// controlling terminal.
    fn ctty_of(&self, st: &mut State, cur: &Current) -> Option<Arc<ThreadGroup>> {
        let tg = &cur.tg;
        self.owner(st, Some(cur))
            .filter(|o| o.tgid == tg.sid() && !st.detached.contains(&tg.tgid))
    }

    /// The foreground process group, if the terminal belongs to a session.
    pub fn foreground(&self) -> Option<i32> {
        let mut st = self.st.lock();
        self.owner(&mut st, None)?;
        Some(st.pgrp)
    }

    /// Whether `tg` leads a session that already has another controlling terminal.
    fn leads_other(&self, tg: &Arc<ThreadGroup>) -> bool {
        let others: Vec<Arc<Tty>> = TTYS.lock().iter().filter_map(Weak::upgrade).collect();
        others
            .iter()
            .filter(|t| !std::ptr::eq(*t as &Tty, self))
            .any(|t| {
                let mut st = t.st.lock();
                t.owner(&mut st, None).is_some_and(|o| Arc::ptr_eq(&o, tg))
            })
    }

    /// TIOCSCTTY: the caller, a session leader without a controlling
    /// terminal, takes this one. `steal` (arg 1) takes it from another
    /// session, with CAP_SYS_ADMIN; `readable`: the fd was opened for reading.
    pub fn set_ctty(&self, cur: &Current, steal: bool, readable: bool) -> Result<(), Errno> {
        let tg = &cur.tg;
        let leader = tg.sid() == tg.tgid;
        let other = leader && self.leads_other(tg);
        let admin = has_cap(tg, CAP_SYS_ADMIN);
        let mut st = self.st.lock();
        let owner = self.owner(&mut st, Some(cur));
        if leader && owner.as_ref().is_some_and(|o| Arc::ptr_eq(o, tg)) {
            return Ok(());
        }
        if !leader || other {
            return Err(Errno::EPERM);
        }
        if owner.is_some() && !(steal && admin) {
            return Err(Errno::EPERM);
        }
        if !readable && !admin {
            return Err(Errno::EPERM);
        }
        *st = State {
            session: Some(Owner::Leader(Arc::downgrade(tg))),
            pgrp: tg.pgid(),
            detached: HashSet::new(),
        };
        Ok(())
    }

    /// TIOCNOTTY: the caller gives up its controlling terminal. A session
    /// leader takes it away from the whole session, sending SIGHUP and
    /// SIGCONT to the foreground group.
    pub fn notty(&self, cur: &Current) -> Result<(), Errno> {
        let fg = {
            let mut st = self.st.lock();
            let leader = self.ctty_of(&mut st, cur).ok_or(Errno::ENOTTY)?;
            if !Arc::ptr_eq(&leader, &cur.tg) {
                st.detached.insert(cur.tg.tgid);
                return Ok(());
            }
            let fg = st.pgrp;
            *st = State::default();
            fg
        };
        if fg > 0 {
            let k = self.kernel()?;
            signal_pgrp(&k, fg, SIGHUP, true);
            signal_pgrp(&k, fg, SIGCONT, true);
        }
        Ok(())
    }

    /// TIOCGPGRP: the foreground process group of the caller's controlling terminal.
    pub fn get_pgrp(&self, cur: &Current) -> Result<i32, Errno> {
        let mut st = self.st.lock();
        self.ctty_of(&mut st, cur).ok_or(Errno::ENOTTY)?;
        Ok(st.pgrp)
    }

    /// TIOCGSID: the session of the caller's controlling terminal.
    pub fn get_sid(&self, cur: &Current) -> Result<i32, Errno> {
        let mut st = self.st.lock();
        let leader = self.ctty_of(&mut st, cur).ok_or(Errno::ENOTTY)?;
        Ok(leader.tgid)
    }

    /// TIOCSPGRP, once its argument is read (call [`Tty::check_change`]
    /// first, as Linux does): make `pgrp`, a group of the caller's
    /// session, the foreground group.
    pub fn set_pgrp(&self, cur: &Current, pgrp: i32) -> Result<(), Errno> {
        if pgrp < 0 {
            return Err(Errno::EINVAL);
        }
        let k = self.kernel()?;
        let mut st = self.st.lock();
        let leader = self.ctty_of(&mut st, cur).ok_or(Errno::ENOTTY)?;
        let sid = leader.tgid;
        let sessions: Vec<i32> = k
            .pids
            .lock()
            .groups
            .values()
            .filter(|g| g.pgid() == pgrp && !g.is_zombie())
            .map(|g| g.sid())
            .collect();
        if sessions.is_empty() {
            return Err(Errno::ESRCH);
        }
        if sessions.iter().any(|&s| s != sid) {
            return Err(Errno::EPERM);
        }
        st.pgrp = pgrp;
        Ok(())
    }

    /// Whether the caller has this terminal as its controlling terminal
    /// and is not in its foreground group.
    pub fn is_background(&self, cur: &Current) -> bool {
        let mut st = self.st.lock();
        self.ctty_of(&mut st, cur).is_some() && st.pgrp != 0 && st.pgrp != cur.tg.pgid()
    }

    /// A read: a background process's group gets SIGTTIN and the read is
    /// restarted once the group continues; EIO if SIGTTIN is ignored or
    /// blocked, or the group is orphaned.
    pub fn check_read(&self, cur: &Current) -> Result<(), Errno> {
        self.check(cur, SIGTTIN)
    }

    /// A change of the terminal (termios, the foreground group) or a
    /// write with TOSTOP: a background process's group gets SIGTTOU,
    /// unless it ignores or blocks SIGTTOU (then the change is allowed);
    /// EIO if the group is orphaned.
    pub fn check_change(&self, cur: &Current) -> Result<(), Errno> {
        self.check(cur, SIGTTOU)
    }

    fn check(&self, cur: &Current, sig: i32) -> Result<(), Errno> {
        if !self.is_background(cur) {
            return Ok(());
        }
        let tg = &cur.tg;
        let blocked = tg.sig.lock().task(cur.tid).mask.has(sig);
        if blocked || tg.sighand().get(sig).handler == SIG_IGN {
            return if sig == SIGTTIN {
                Err(Errno::EIO)
            } else {
                Ok(())
            };
        }
        let k = self.kernel()?;
        if orphaned(&k, tg.pgid(), tg.sid()) {
            return Err(Errno::EIO);
        }
        signal_pgrp(&k, tg.pgid(), sig, true);
        Err(Errno::ERESTARTSYS)
    }
}

impl Tty {
    /// Open this terminal again through `device` (kept alive here).
    pub fn set_device(&self, device: Arc<dyn TtyDevice>) {
        *self.device.lock() = Some(DeviceRef::Owned(device));
    }

    /// Open this terminal again through `device`, which owns the terminal.
    pub fn set_device_weak(&self, device: Weak<dyn TtyDevice>) {
        *self.device.lock() = Some(DeviceRef::Borrowed(device));
    }

    fn device(&self) -> Option<Arc<dyn TtyDevice>> {
        match self.device.lock().as_ref()? {
            DeviceRef::Owned(d) => Some(d.clone()),
            DeviceRef::Borrowed(w) => w.upgrade(),
        }
    }

    /// An open without O_NOCTTY: a session leader without a controlling
    /// terminal takes this one if it belongs to no session (tty_open).
    pub fn acquire_on_open(&self, cur: &Current) {
        let tg = &cur.tg;
        if tg.sid() != tg.tgid || self.leads_other(tg) {
            return;
        }
        let mut st = self.st.lock();
        if self.owner(&mut st, None).is_some() {
            return;
        }
        *st = State {
            session: Some(Owner::Leader(Arc::downgrade(tg))),
            pgrp: tg.pgid(),
            detached: HashSet::new(),
        };
    }

    /// Send `sig` to the foreground process group, if there is one (the
    /// line discipline's signal characters, SIGWINCH).
    pub fn signal_foreground(&self, sig: i32) {
        let Some(pgrp) = self.foreground().filter(|&p| p > 0) else {
            return;
        };
        if let Ok(k) = self.kernel() {
            signal_pgrp(&k, pgrp, sig, true);
        }
    }

    /// The terminal hangs up (a pseudo-terminal's master closed): its
    /// session loses it, and the session leader gets SIGHUP and SIGCONT
    /// (tty_vhangup: the leader, not the foreground group, is told).
    pub fn hangup(&self) {
        let leader = {
            let mut st = self.st.lock();
            let leader = self.owner(&mut st, None);
            *st = State::default();
            leader
        };
        let Some(leader) = leader else { return };
        for sig in [SIGHUP, SIGCONT] {
            if leader.tgid == INIT_PID && leader.sighand().get(sig).handler == SIG_DFL {
                continue;
            }
            let info = SigInfo {
                signo: sig,
                code: SI_KERNEL,
                ..Default::default()
            };
            send::send(&leader, None, info);
        }
    }

    /// The session leader `tg` exited: a terminal it controlled loses its
    /// session, and the foreground group gets SIGHUP (disassociate_ctty on
    /// exit: no SIGCONT).
    pub fn session_leader_exited(tg: &Arc<ThreadGroup>) {
        let ttys: Vec<Arc<Tty>> = TTYS.lock().iter().filter_map(|w| w.upgrade()).collect();
        for t in ttys {
            let pgrp = {
                let mut st = t.st.lock();
                let owned = matches!(&st.session, Some(Owner::Leader(w)) if w.upgrade().is_some_and(|l| Arc::ptr_eq(&l, tg)));
                if !owned {
                    continue;
                }
                let p = st.pgrp;
                *st = State::default();
                p
            };
            if pgrp > 0 {
                if let Ok(k) = t.kernel() {
                    signal_pgrp(&k, pgrp, SIGHUP, true);
                }
            }
        }
    }

    /// The foreground group whoever asks (a pty master's TIOCGPGRP): 0
    /// when the terminal belongs to no session.
    pub fn foreground_any(&self) -> i32 {
        self.foreground().unwrap_or(0)
    }

    /// The session whoever asks (a pty master's TIOCGSID).
    pub fn session_any(&self) -> Result<i32, Errno> {
        let mut st = self.st.lock();
        self.owner(&mut st, None)
            .map(|l| l.tgid)
            .ok_or(Errno::ENOTTY)
    }

    /// The job-control ioctls on a file of this terminal; None for other
    /// commands. `master`: the file is the master of the pseudo-terminal
    /// whose slave this is; as in Linux it reaches the slave's job
    /// control, reads the foreground group and session without being the
    /// caller's controlling terminal, and is never one itself.
    pub fn job_ioctl(
        &self,
        cur: &Current,
        readable: bool,
        master: bool,
        mm: &Mm,
        cmd: u32,
        arg: u64,
    ) -> Option<Result<u64, Errno>> {
        let r = match cmd {
            TIOCSCTTY => self.set_ctty(cur, arg == 1, readable),
            TIOCNOTTY if master => Err(Errno::ENOTTY),
            TIOCNOTTY => self.notty(cur),
            TIOCGPGRP => {
                let p = if master {
                    Ok(self.foreground_any())
                } else {
                    self.get_pgrp(cur)
                };
                p.and_then(|p| mm.write_obj(arg, &p))
            }
            TIOCGSID => {
                let s = if master {
                    self.session_any()
                } else {
                    self.get_sid(cur)
                };
                s.and_then(|s| mm.write_obj(arg, &s))
            }
            TIOCSPGRP => {
                // A background caller is stopped first; an orphaned one is
                // told it has no terminal.
                self.check_change(cur)
                    .map_err(|e| if e == Errno::EIO { Errno::ENOTTY } else { e })
                    .and_then(|()| mm.read_obj::<i32>(arg))
                    .and_then(|pgrp| self.set_pgrp(cur, pgrp))
            }
            _ => return None,
        };
        Some(r.map(|()| 0))
    }
}

/// Whether `tg` is a process of sandbox `k`.
fn kernel_has(k: &Kernel, tg: &Arc<ThreadGroup>) -> bool {
    k.pids
        .lock()
        .groups
        .get(&tg.tgid)
        .is_some_and(|g| Arc::ptr_eq(g, tg))
}

/// Open /dev/tty: the caller's controlling terminal, again; ENXIO without one.
pub fn open_controlling(flags: u32) -> Result<Box<dyn FileOps>, Errno> {
    let cur = super::current::get().ok_or(Errno::ENXIO)?;
    let ttys: Vec<Arc<Tty>> = TTYS.lock().iter().filter_map(Weak::upgrade).collect();
    for t in ttys {
        let ours = t.k.upgrade().is_some_and(|k| kernel_has(&k, &cur.tg));
        if !ours {
            continue;
        }
        let ctty = {
            let mut st = t.st.lock();
            t.ctty_of(&mut st, &cur).is_some()
        };
        if ctty {
            return t.device().ok_or(Errno::EIO)?.open_again(flags);
        }
    }
    Err(Errno::ENXIO)
}

/// Whether `tg`'s credentials (as its leader last published them) hold `cap`.
fn has_cap(tg: &ThreadGroup, cap: u32) -> bool {
    tg.proc_view
        .lock()
        .as_ref()
        .is_some_and(|v| v.creds.has_cap(cap))
}
