//! devpts over a kernel on a platform that runs nothing: numbering, the
//! nodes, a pair's data path, hangup and the slave's end.

use super::master::MasterFile;
use super::pty::Pty;
use super::*;
use crate::fs::tmpfs::Tmpfs;
use crate::kernel::waiter::{Waiter, EV_ALL};
use crate::kernel::{Config, Kernel};
use crate::mm::{IoDst, IoSrc};
use crate::vfs::file::File;
use crate::vfs::inode::{FileType, NewNode, Owner, S_IFCHR, S_IFMT};
use crate::vfs::MountNamespace;
use memory::MemoryFile;
use platform::{AddressSpace, Context, Exit, FpState, Interrupter, Platform, Prot, Regs};
use std::sync::atomic::{AtomicUsize, Ordering};

struct NoAspace;
impl AddressSpace for NoAspace {
    fn map(&self, _: &[platform::Mapping]) -> platform::Result<()> {
        Ok(())
    }
    fn unmap(&self, _: &[(u64, u64)]) -> platform::Result<()> {
        Ok(())
    }
    fn protect(&self, _: &[(u64, u64, Prot)]) -> platform::Result<()> {
        Ok(())
    }
    fn prepare_thread(&self) -> platform::Result<()> {
        Ok(())
    }
    fn cpu_time(&self) -> Option<(u64, u64)> {
        None
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

struct NoInterrupt;
impl Interrupter for NoInterrupt {
    fn interrupt(&self) {}
}

struct NoContext;
impl Context for NoContext {
    fn switch(
        &mut self,
        _: &Arc<dyn AddressSpace>,
        _: &mut Regs,
        _: &mut FpState,
    ) -> platform::Result<Exit> {
        Err(platform::Error::Host("runs nothing".into()))
    }
    fn sync_fp(&mut self, _: &mut FpState) -> platform::Result<()> {
        Ok(())
    }
    fn interrupter(&self) -> Arc<dyn Interrupter> {
        Arc::new(NoInterrupt)
    }
    fn release(&mut self) {}
}

struct NoPlatform;
impl Platform for NoPlatform {
    fn name(&self) -> &'static str {
        "none"
    }
    fn new_address_space(&self) -> platform::Result<Arc<dyn AddressSpace>> {
        Ok(Arc::new(NoAspace))
    }
    fn new_context(&self) -> Box<dyn Context> {
        Box::new(NoContext)
    }
    fn max_user_address(&self) -> u64 {
        0x7fff_ffff_f000
    }
}

fn kernel() -> Arc<Kernel> {
    let mf = Arc::new(MemoryFile::new(1 << 28).unwrap());
    let root = Tmpfs::new(mf.clone(), 0o755, Owner::default()).root();
    let ns = Arc::new(MountNamespace::new(root, "tmpfs", "none"));
    Kernel::new(Config::default(), Arc::new(NoPlatform), mf, ns)
}

const RDWR: u32 = libc::O_RDWR as u32;

/// A pair and its master file, as an open of ptmx by uid 1000 makes them.
fn pair(fs: &Arc<DevPts>, k: &Arc<Kernel>) -> (Arc<Pty>, Arc<File>) {
    let pty = Pty::create(fs, k, None, (1000, 1000)).unwrap();
    let m = File::new(Box::new(MasterFile::bound(pty.clone())), None, None, RDWR);
    (pty, m)
}

fn open_slave(fs: &Arc<DevPts>, i: u32, flags: u32) -> Result<Arc<File>, Errno> {
    let node = fs.root().lookup(i.to_string().as_bytes())?;
    let ops = node.open(&node, flags)?;
    Ok(File::new(ops, None, Some(node), flags))
}

fn write(f: &File, data: &[u8]) -> Result<u64, Errno> {
    f.ops.write(f, &mut IoSrc::buf(data), 0)
}

fn read(f: &File) -> Result<Vec<u8>, Errno> {
    let mut buf = [0u8; 256];
    let n = f.ops.read(f, &mut IoDst::buf(&mut buf), 0)? as usize;
    Ok(buf[..n].to_vec())
}

fn names(fs: &Arc<DevPts>) -> Vec<String> {
    fs.root()
        .readdir()
        .unwrap()
        .into_iter()
        .map(|e| String::from_utf8(e.name).unwrap())
        .collect()
}

#[test]
fn options() {
    let w = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let o =
        DevPtsOptions::parse(&w(&["newinstance", "ptmxmode=0666", "mode=0620", "gid=5"])).unwrap();
    assert_eq!(o.show(), "gid=5,mode=620,ptmxmode=666");
    assert_eq!(o, DevPtsOptions::container());
    assert_eq!(DevPtsOptions::default().show(), "mode=600,ptmxmode=000");
    assert_eq!(DevPtsOptions::parse(&w(&["bogus"])), Err(Errno::EINVAL));
    assert_eq!(DevPtsOptions::parse(&w(&["mode=9"])), Err(Errno::EINVAL));
}

#[test]
fn numbering_and_nodes() {
    let k = kernel();
    let fs = DevPts::new(DevPtsOptions::container());
    assert_eq!(names(&fs), ["ptmx"]);
    let ptmx = fs.root().lookup(b"ptmx").unwrap().attr().unwrap();
    assert_eq!(
        (ptmx.mode, ptmx.rdev),
        (S_IFCHR | 0o666, crate::fs::devnum::makedev(5, 2))
    );
    let (p0, m0) = pair(&fs, &k);
    let (p1, m1) = pair(&fs, &k);
    assert_eq!((p0.index, p1.index), (0, 1));
    assert_eq!(names(&fs), ["1", "0", "ptmx"]);
    let a = fs.root().lookup(b"1").unwrap().attr().unwrap();
    assert_eq!(a.mode, S_IFCHR | 0o620);
    assert_eq!((a.uid, a.gid), (1000, 5));
    assert_eq!(a.rdev, slave_rdev(1));
    assert_eq!(a.ino, 4);
    assert_eq!(a.file_type(), FileType::CharDev);
    assert_eq!(fs.root().lookup(b"01").err(), Some(Errno::ENOENT));
    // Locked until TIOCSPTLCK(0).
    assert_eq!(open_slave(&fs, 0, RDWR).err(), Some(Errno::EIO));
    p0.lock().locked = false;
    let s0 = open_slave(&fs, 0, RDWR).unwrap();
    // The master's close takes the node at once, the number only with the slave.
    let cached = fs.root().lookup(b"0").unwrap();
    drop(m0);
    assert_eq!(names(&fs), ["1", "ptmx"]);
    assert!(!fs.root().revalidate_child(b"0", &cached));
    assert_eq!(cached.attr().unwrap().rdev, slave_rdev(0));
    let (p2, _m2) = pair(&fs, &k);
    assert_eq!(p2.index, 2);
    drop(s0);
    let (p3, _m3) = pair(&fs, &k);
    assert_eq!(p3.index, 0);
    drop(m1);
    // Nothing can be made in devpts.
    let root = fs.root();
    assert_eq!(
        root.create(b"x", &NewNode::File { mode: 0o644 }, Owner::default())
            .err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        root.create(b"x", &NewNode::Dir { mode: 0o755 }, Owner::default())
            .err(),
        Some(Errno::EPERM)
    );
    assert_eq!(
        root.attr().unwrap().mode & S_IFMT,
        crate::vfs::inode::S_IFDIR
    );
    assert_eq!(root.fs_info().magic, DEVPTS_SUPER_MAGIC);
}

#[test]
fn data_both_ways() {
    let k = kernel();
    let fs = DevPts::new(DevPtsOptions::default());
    let (p, m) = pair(&fs, &k);
    p.lock().locked = false;
    let s = open_slave(&fs, 0, RDWR).unwrap();
    assert_eq!(
        fs.root().lookup(b"0").unwrap().attr().unwrap().mode & 0o777,
        0o600
    );
    assert_eq!(write(&m, b"hi"), Ok(2));
    assert_eq!(read(&s), Err(Errno::EAGAIN));
    assert_eq!(s.ops.readable_bytes(&s), Some(0));
    assert_eq!(write(&m, b"\r"), Ok(1));
    assert_eq!(s.ops.poll(&s) & libc::POLLIN as u32, libc::POLLIN as u32);
    assert_eq!(read(&s).unwrap(), b"hi\n");
    assert_eq!(read(&m).unwrap(), b"hi\r\n");
    assert_eq!(read(&m), Err(Errno::EAGAIN));
    assert_eq!(write(&s, b"out\n"), Ok(4));
    assert_eq!(m.ops.readable_bytes(&m), Some(5));
    assert_eq!(read(&m).unwrap(), b"out\r\n");
    // The master's writes wait once the slave's input is full (in raw
    // mode: a canonical line without its end keeps taking characters).
    {
        use crate::kernel::ldisc::termios::ICANON;
        let mut st = p.lock();
        let mut t = st.ld.termios();
        t.c_lflag &= !ICANON;
        st.ld.set_termios(t);
    }
    let big = vec![b'x'; 20000];
    let mut src = IoSrc::buf(&big);
    assert_eq!(m.ops.write(&m, &mut src, 0), Err(Errno::EAGAIN));
    assert!(src.remaining() < 20000);
    assert_eq!(m.ops.poll(&m) & libc::POLLOUT as u32, 0);
}

#[test]
fn hangup_and_slave_end() {
    let k = kernel();
    let fs = DevPts::new(DevPtsOptions::default());
    let (p, m) = pair(&fs, &k);
    p.lock().locked = false;
    let s = open_slave(&fs, 0, RDWR).unwrap();
    // The slave goes: the master reads what is left, then EIO.
    assert_eq!(write(&s, b"bye"), Ok(3));
    drop(s);
    let hup = libc::POLLHUP as u32;
    assert_eq!(m.ops.poll(&m) & hup, hup);
    assert_eq!(read(&m).unwrap(), b"bye");
    assert_eq!(read(&m), Err(Errno::EIO));
    // It comes back; the master goes: the slave hangs up.
    let s = open_slave(&fs, 0, RDWR).unwrap();
    assert_eq!(m.ops.poll(&m) & hup, 0);
    assert_eq!(write(&m, b"lost\n"), Ok(5));
    struct Count(AtomicUsize);
    impl Waiter for Count {
        fn notify_event(&self, _: u64) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let heard = Arc::new(Count(AtomicUsize::new(0)));
    let w: std::sync::Weak<dyn Waiter> = Arc::downgrade(&heard) as std::sync::Weak<Count>;
    let id = s.ops.wait_queue().unwrap().add(w, EV_ALL);
    drop(m);
    assert!(heard.0.load(Ordering::SeqCst) > 0);
    s.ops.wait_queue().unwrap().remove(id);
    assert_eq!(read(&s).unwrap(), b"");
    assert_eq!(write(&s, b"x"), Err(Errno::EIO));
    let all = (libc::POLLIN | libc::POLLOUT | libc::POLLERR | libc::POLLHUP) as u32;
    assert_eq!(s.ops.poll(&s) & all, all);
    assert_eq!(s.ops.readable_bytes(&s), None);
    assert_eq!(fs.root().lookup(b"0").err(), Some(Errno::ENOENT));
    drop(s);
    assert_eq!(pair(&fs, &k).0.index, 0);
}

#[test]
fn vtime_wakes_the_reader() {
    use crate::kernel::ldisc::termios::{ICANON, VMIN, VTIME};
    let k = kernel();
    let fs = DevPts::new(DevPtsOptions::default());
    let (p, _m) = pair(&fs, &k);
    p.lock().locked = false;
    let s = open_slave(&fs, 0, RDWR).unwrap();
    {
        let mut st = p.lock();
        let mut t = st.ld.termios();
        t.c_lflag &= !ICANON;
        t.c_cc[VMIN] = 0;
        t.c_cc[VTIME] = 1;
        st.ld.set_termios(t);
    }
    struct Flag(AtomicUsize);
    impl Waiter for Flag {
        fn notify_event(&self, _: u64) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let woke = Arc::new(Flag(AtomicUsize::new(0)));
    let w: std::sync::Weak<dyn Waiter> = Arc::downgrade(&woke) as std::sync::Weak<Flag>;
    let id = s.ops.wait_queue().unwrap().add(w, libc::POLLIN as u64);
    let start = std::time::Instant::now();
    assert_eq!(read(&s), Err(Errno::EAGAIN));
    while woke.0.load(Ordering::SeqCst) == 0 && start.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(start.elapsed().as_millis() >= 90);
    assert_eq!(read(&s).unwrap(), b"");
    s.ops.wait_queue().unwrap().remove(id);
}
