//! A test client for the Gofer: a socket pair, the server on a thread of
//! this process (the walk rules are the boundary under test; confinement
//! is tested by `confined.rs`), and hand-built 9P messages.

#![allow(dead_code)]

use gofer::{End, MountSpec, Server};
use proto::{Fid, Rmessage, Tmessage, NOTAG};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType,
};
use std::io::{IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

pub fn temp_dir(tag: &str) -> TempDir {
    let p = std::env::temp_dir().join(format!(
        "rvisor-gofer-{tag}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    TempDir(p)
}

pub struct Client {
    pub sock: OwnedFd,
    tag: u16,
}

/// The server thread's result: how serving ended and the fids left bound.
pub type ServerThread = JoinHandle<(End, usize)>;

/// A server for `mounts` on a thread, and a client connected to it.
pub fn start(mounts: &[(&str, &Path, bool)]) -> (Client, ServerThread) {
    let (a, b) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::SEQPACKET,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let specs: Vec<MountSpec> = mounts
        .iter()
        .map(|(n, p, w)| MountSpec {
            name: n.to_string(),
            path: p.to_path_buf(),
            writable: *w,
        })
        .collect();
    let trees = gofer::confine::open_trees(&specs).unwrap();
    let t = std::thread::spawn(move || {
        let msize = gofer::conn::frame_capacity(b.as_fd(), proto::DEFAULT_MSIZE);
        let mut server = Server::new(trees, msize);
        let end = gofer::serve(b.as_fd(), &mut server);
        (end, server.fid_count())
    });
    (Client { sock: a, tag: 0 }, t)
}

impl Client {
    pub fn new(sock: OwnedFd) -> Client {
        Client { sock, tag: 0 }
    }

    pub fn send_raw(&self, frame: &[u8]) {
        let mut space: [MaybeUninit<u8>; 0] = [];
        let mut control = SendAncillaryBuffer::new(&mut space);
        rustix::net::sendmsg(
            &self.sock,
            &[IoSlice::new(frame)],
            &mut control,
            SendFlags::NOSIGNAL,
        )
        .unwrap();
    }

    /// Sends `frame` with `fd` attached (which a server must refuse).
    pub fn send_with_fd(&self, frame: &[u8], fd: &OwnedFd) {
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        let fds = [fd.as_fd()];
        assert!(control.push(SendAncillaryMessage::ScmRights(&fds)));
        rustix::net::sendmsg(
            &self.sock,
            &[IoSlice::new(frame)],
            &mut control,
            SendFlags::NOSIGNAL,
        )
        .unwrap();
    }

    /// One frame and the fds with it; None when the server closed.
    pub fn recv(&self) -> Option<(Vec<u8>, Vec<OwnedFd>)> {
        let mut buf = vec![0u8; proto::DEFAULT_MSIZE as usize + 1];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(4))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut iov = [IoSliceMut::new(&mut buf)];
        let r = rustix::net::recvmsg(&self.sock, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC)
            .ok()?;
        let mut fds = Vec::new();
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(got) = m {
                fds.extend(got);
            }
        }
        if r.bytes == 0 {
            return None;
        }
        buf.truncate(r.bytes);
        Some((buf, fds))
    }

    /// Sends `m` and returns its reply and fd; checks the reply answers it.
    pub fn rpc(&mut self, m: Tmessage) -> (Rmessage, Option<OwnedFd>) {
        self.tag = (self.tag + 1) % 1000;
        let tag = if matches!(m, Tmessage::Version { .. }) {
            NOTAG
        } else {
            self.tag
        };
        let mut buf = Vec::new();
        m.encode(tag, &mut buf).unwrap();
        self.send_raw(&buf);
        let (frame, mut fds) = self.recv().expect("the server closed the connection");
        let (rtag, r) = Rmessage::decode(&frame).unwrap();
        assert_eq!(rtag, tag);
        assert!(r.answers(&m), "{r:?} does not answer {m:?}");
        assert!(fds.len() <= 1);
        assert_eq!(fds.len() == 1, r.carries_fd(), "fd with {r:?}");
        (r, fds.pop())
    }

    pub fn call(&mut self, m: Tmessage) -> Rmessage {
        self.rpc(m).0
    }

    pub fn version(&mut self) {
        let r = self.call(Tmessage::Version {
            msize: proto::DEFAULT_MSIZE,
            version: proto::VERSION.to_vec(),
        });
        assert!(matches!(r, Rmessage::Version { .. }), "{r:?}");
    }

    /// Tversion, then Tattach of `aname` as fid 0.
    pub fn attach(&mut self, aname: &str) -> Rmessage {
        self.version();
        self.call(Tmessage::Attach {
            fid: Fid(0),
            afid: Fid::NONE,
            uname: Vec::new(),
            aname: aname.as_bytes().to_vec(),
            n_uname: proto::NONUNAME,
        })
    }

    pub fn walk(&mut self, fid: u32, newfid: u32, names: &[&[u8]]) -> Rmessage {
        self.call(Tmessage::Walk {
            fid: Fid(fid),
            newfid: Fid(newfid),
            names: names.iter().map(|n| n.to_vec()).collect(),
        })
    }

    pub fn clunk(&mut self, fid: u32) -> Rmessage {
        self.call(Tmessage::Clunk { fid: Fid(fid) })
    }

    /// Walks `names` from the root into `newfid`, opens it read-only and
    /// returns the donated fd's contents (Err: the errno of the first failure).
    pub fn read_file(&mut self, newfid: u32, names: &[&[u8]]) -> Result<Vec<u8>, abi::Errno> {
        match self.walk(0, newfid, names) {
            Rmessage::Walk { qids } if qids.len() == names.len() => {}
            Rmessage::Walk { .. } => return Err(abi::Errno::ENOENT),
            r => return Err(r.errno().unwrap()),
        }
        let (r, fd) = self.rpc(Tmessage::Lopen {
            fid: Fid(newfid),
            flags: proto::lopen::RDONLY,
        });
        self.clunk(newfid);
        if let Some(e) = r.errno() {
            return Err(e);
        }
        let fd = fd.unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let mut off = 0u64;
        loop {
            let n = rustix::io::pread(&fd, &mut buf, off).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            off += n as u64;
        }
        Ok(out)
    }
}

/// The errno of an Rlerror (panics on anything else).
pub fn err(r: &Rmessage) -> abi::Errno {
    r.errno()
        .unwrap_or_else(|| panic!("expected Rlerror, got {r:?}"))
}
