//! ioctl(2) on either side of a pair. As in Linux, the master reaches the
//! slave's settings (termios, window size) and job control; TCFLSH,
//! TCXONC and the break ioctls act on the side they are made on.

use super::pty::Pty;
use super::slave::{current_is_admin, SlaveFile};
use super::slave_rdev;
use crate::kernel::current::{self, Current};
use crate::kernel::ldisc::termios::{Termios2, VSTART, VSTOP};
use crate::kernel::ldisc::Effects;
use crate::kernel::limits::RLIMIT_NOFILE;
use crate::mm::Mm;
use crate::vfs::file::File;
use crate::vfs::path::Path;
use abi::signal::{SIGINT, SIGQUIT, SIGTSTP, SIGWINCH};
use abi::{Errno, Winsize};
use std::sync::Arc;

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TCSBRK: u32 = 0x5409;
const TCXONC: u32 = 0x540a;
const TCFLSH: u32 = 0x540b;
const TIOCEXCL: u32 = 0x540c;
const TIOCNXCL: u32 = 0x540d;
const TIOCOUTQ: u32 = 0x5411;
const TIOCSTI: u32 = 0x5412;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541b;
const TIOCPKT: u32 = 0x5420;
const TIOCSETD: u32 = 0x5423;
const TIOCGETD: u32 = 0x5424;
const TCSBRKP: u32 = 0x5425;
const TIOCSBRK: u32 = 0x5427;
const TIOCCBRK: u32 = 0x5428;
const TCGETS2: u32 = 0x802c_542a;
const TCSETS2: u32 = 0x402c_542b;
const TCSETSW2: u32 = 0x402c_542c;
const TCSETSF2: u32 = 0x402c_542d;
const TIOCGPTN: u32 = 0x8004_5430;
const TIOCSPTLCK: u32 = 0x4004_5431;
const TIOCGDEV: u32 = 0x8004_5432;
const TIOCSIG: u32 = 0x4004_5436;
const TIOCGPKT: u32 = 0x8004_5438;
const TIOCGPTLCK: u32 = 0x8004_5439;
const TIOCGEXCL: u32 = 0x8004_5440;
const TIOCGPTPEER: u32 = 0x5441;
/// The line discipline every terminal here has.
const N_TTY: i32 = 0;

/// Linux's new_encode_dev, as TIOCGDEV reports a device.
fn new_encode_dev(dev: u64) -> u32 {
    let (ma, mi) = (crate::fs::devnum::major(dev), crate::fs::devnum::minor(dev));
    (mi & 0xff) | (ma << 8) | ((mi & !0xff) << 12)
}

/// A change to the terminal: a background caller gets SIGTTOU first.
fn check_change(pty: &Pty, cur: Option<&Current>) -> Result<(), Errno> {
    cur.map_or(Ok(()), |c| pty.tty.check_change(c))
}

pub(super) fn ioctl(
    pty: &Arc<Pty>,
    master: bool,
    f: &File,
    mm: &Mm,
    cmd: u32,
    arg: u64,
) -> Result<u64, Errno> {
    let cur = current::get();
    if !master && pty.lock().hung_up {
        return Err(if cmd == crate::kernel::tty::TIOCSPGRP {
            Errno::ENOTTY
        } else {
            Errno::EIO
        });
    }
    if let Some(c) = &cur {
        if let Some(r) = pty.tty.job_ioctl(c, f.readable(), master, mm, cmd, arg) {
            return r;
        }
    }
    match cmd {
        TCGETS => mm.write_obj(arg, &pty.termios().old())?,
        TCGETS2 => mm.write_obj(arg, &pty.termios())?,
        TCSETS | TCSETSW | TCSETSF | TCSETS2 | TCSETSW2 | TCSETSF2 => {
            check_change(pty, cur.as_ref())?;
            let old = pty.termios();
            let new = if matches!(cmd, TCSETS | TCSETSW | TCSETSF) {
                let mut t = Termios2::from_old(&mm.read_obj::<abi::Termios>(arg)?);
                t.derive_speeds(old.c_ispeed, old.c_ospeed);
                t
            } else {
                let mut t: Termios2 = mm.read_obj(arg)?;
                t.derive_speeds(t.c_ispeed, t.c_ospeed);
                t
            };
            // A pty's output is never pending, so TCSETSW has nothing to wait for.
            let mut fx = Effects::default();
            let mut st = pty.lock();
            if matches!(cmd, TCSETSF | TCSETSF2) {
                fx.merge(st.ld.flush_input(true));
            }
            fx.merge(st.ld.set_termios(new));
            drop(st);
            pty.apply(fx);
        }
        TIOCGWINSZ => mm.write_obj(arg, &pty.lock().winsize)?,
        TIOCSWINSZ => {
            let w: Winsize = mm.read_obj(arg)?;
            let changed = std::mem::replace(&mut pty.lock().winsize, w) != w;
            if changed {
                pty.tty.signal_foreground(SIGWINCH);
            }
        }
        FIONREAD => {
            let st = pty.lock();
            let n = if master {
                st.ld.output_len()
            } else {
                st.ld.input_len()
            };
            drop(st);
            mm.write_obj(arg, &(n.min(i32::MAX as usize) as i32))?;
        }
        TIOCOUTQ => mm.write_obj(arg, &0i32)?,
        TCFLSH => {
            if !master {
                check_change(pty, cur.as_ref())?;
            }
            let (input, output) = match arg {
                0 => (true, false),
                1 => (false, true),
                2 => (true, true),
                _ => return Err(Errno::EINVAL),
            };
            // A side's own input is flushed; its output, once handed to
            // the other side, is that side's input and stays.
            if input {
                let fx = {
                    let mut st = pty.lock();
                    if master {
                        st.ld.flush_output()
                    } else {
                        st.ld.flush_input(true)
                    }
                };
                pty.apply(fx);
            }
            let _ = output;
        }
        TCXONC => {
            if !master {
                check_change(pty, cur.as_ref())?;
            }
            let mut fx = Effects::default();
            let mut st = pty.lock();
            if master {
                // The master's own flow: its writes, and the STOP and START
                // characters it sends the slave as input.
                match arg {
                    0 => st.master_stopped = true,
                    1 => {
                        st.master_stopped = false;
                        fx.input_room = true;
                    }
                    2 | 3 => {
                        let c = crate::kernel::ldisc::termios::INIT_C_CC
                            [if arg == 2 { VSTOP } else { VSTART }];
                        fx.merge(st.ld.receive(&[c]).1);
                    }
                    _ => return Err(Errno::EINVAL),
                }
            } else if let Some(c) = st.ld.tcxonc(arg, &mut fx)? {
                st.ld.send_raw_output(c, &mut fx);
            }
            drop(st);
            pty.apply(fx);
        }
        TCSBRK | TCSBRKP | TIOCSBRK | TIOCCBRK => {
            // No breaks on a pty; draining has nothing to wait for.
            check_change(pty, cur.as_ref())?;
        }
        TIOCEXCL | TIOCNXCL if !master => pty.lock().exclusive = cmd == TIOCEXCL,
        TIOCGEXCL if !master => mm.write_obj(arg, &i32::from(pty.lock().exclusive))?,
        TIOCEXCL | TIOCNXCL => {}
        TIOCGEXCL => mm.write_obj(arg, &0i32)?,
        TIOCGETD => mm.write_obj(arg, &N_TTY)?,
        TIOCSETD => {
            check_change(pty, cur.as_ref())?;
            if mm.read_obj::<i32>(arg)? != N_TTY {
                return Err(Errno::EINVAL);
            }
        }
        TIOCGDEV => mm.write_obj(arg, &new_encode_dev(slave_rdev(pty.index)))?,
        TIOCSTI if !master => {
            // Legacy TIOCSTI: on one's own controlling terminal, or with
            // CAP_SYS_ADMIN.
            let c: u8 = mm.read_obj(arg)?;
            let own = cur.as_ref().is_some_and(|c| pty.tty.get_sid(c).is_ok());
            if !own && !current_is_admin() {
                return Err(Errno::EPERM);
            }
            let fx = pty.lock().ld.receive(&[c]).1;
            pty.apply(fx);
        }
        // The master-only ioctls (pty_unix98_ioctl).
        TIOCGPTN if master => mm.write_obj(arg, &pty.index)?,
        TIOCSPTLCK if master => pty.lock().locked = mm.read_obj::<i32>(arg)? != 0,
        TIOCGPTLCK if master => mm.write_obj(arg, &i32::from(pty.lock().locked))?,
        TIOCPKT if master => pty.lock().packet = mm.read_obj::<i32>(arg)? != 0,
        TIOCGPKT if master => mm.write_obj(arg, &i32::from(pty.lock().packet))?,
        TIOCSIG if master => {
            let sig = i32::try_from(arg).map_err(|_| Errno::EINVAL)?;
            if ![SIGINT, SIGQUIT, SIGTSTP].contains(&sig) {
                return Err(Errno::EINVAL);
            }
            pty.tty.signal_foreground(sig);
        }
        TIOCGPTPEER if master => return open_peer(pty, cur.as_ref(), arg),
        TIOCGPTPEER => return Err(Errno::EIO),
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

/// TIOCGPTPEER: open the slave and install it in the caller's fd table.
fn open_peer(pty: &Arc<Pty>, cur: Option<&Current>, arg: u64) -> Result<u64, Errno> {
    let cur = cur.ok_or(Errno::EIO)?;
    let flags = u32::try_from(arg).map_err(|_| Errno::EINVAL)?;
    let allowed = (libc::O_ACCMODE | libc::O_NOCTTY | libc::O_NONBLOCK | libc::O_CLOEXEC) as u32;
    if flags & !allowed != 0 {
        return Err(Errno::EINVAL);
    }
    let fds = cur
        .tg
        .proc_view
        .lock()
        .as_ref()
        .and_then(|v| v.fds())
        .ok_or(Errno::EIO)?;
    let node = pty.node().ok_or(Errno::EIO)?;
    pty.open_slave(current_is_admin())?;
    let file_ops = SlaveFile::new(pty.clone(), flags & libc::O_NOCTTY as u32 == 0);
    if flags & libc::O_NOCTTY as u32 == 0 {
        file_ops.acquire();
    }
    // The slave's name under the devpts mount the master came through, so
    // /proc/PID/fd and ttyname show /dev/pts/N.
    let path = pty.mount.as_ref().and_then(|m| {
        let dentry = m.root.lookup(pty.index.to_string().as_bytes()).ok()?;
        Some(Path {
            mount: m.clone(),
            dentry,
        })
    });
    let inode: Arc<dyn crate::vfs::inode::Inode> = node;
    let file = File::new(Box::new(file_ops), path, Some(inode), flags);
    let limit = cur.tg.limits.lock().cur(RLIMIT_NOFILE);
    let fd = fds.install(file, flags & libc::O_CLOEXEC as u32 != 0, 0, limit)?;
    Ok(fd as u64)
}
