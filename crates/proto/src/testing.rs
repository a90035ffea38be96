//! The codec's round-trip property and a sample of every message, shared by
//! the unit tests, the corpus test (`tests/corpus.rs`) and the fuzz target
//! (`fuzz/fuzz_targets/decode.rs`), so the property the fuzzer checks also
//! runs under `cargo test` on stable.

use crate::frame::Framer;
use crate::types::*;
use crate::{Rmessage, Tmessage};

/// The property: when `data` decodes (as a request or as a reply), encoding
/// the message again gives back exactly `data`, and that decodes to the
/// same message. Decoding is strict (no trailing bytes, derived counts), so
/// every accepted frame has one encoding. Also feeds `data` through a
/// [`Framer`] to exercise its checks. Returns a description of the first
/// violation; never panics.
pub fn check_roundtrip(data: &[u8]) -> Result<(), String> {
    if let Ok((tag, msg)) = Tmessage::decode(data) {
        let mut buf = Vec::new();
        msg.encode(tag, &mut buf)
            .map_err(|e| format!("{} decoded but does not encode: {e}", msg.name()))?;
        if buf != data {
            return Err(format!("{} re-encodes differently: {buf:02x?}", msg.name()));
        }
        match Tmessage::decode(&buf) {
            Ok(again) if again == (tag, msg.clone()) => {}
            other => return Err(format!("{} decodes again as {other:?}", msg.name())),
        }
    }
    if let Ok((tag, msg)) = Rmessage::decode(data) {
        let mut buf = Vec::new();
        msg.encode(tag, &mut buf)
            .map_err(|e| format!("{} decoded but does not encode: {e}", msg.name()))?;
        if buf != data {
            return Err(format!("{} re-encodes differently: {buf:02x?}", msg.name()));
        }
        match Rmessage::decode(&buf) {
            Ok(again) if again == (tag, msg.clone()) => {}
            other => return Err(format!("{} decodes again as {other:?}", msg.name())),
        }
    }
    // A frame cut out of a stream must be a prefix of that stream, and the
    // framer must never hand out more than msize bytes.
    let msize = 4096;
    let mut framer = Framer::new(msize);
    let (a, b) = data.split_at(data.len() / 2);
    framer.push(a);
    framer.push(b);
    let mut consumed = 0usize;
    while let Ok(Some(frame)) = framer.next_frame() {
        if u32::try_from(frame.len()).map_or(true, |l| l > msize)
            || frame.len() < crate::HEADER_SIZE
        {
            return Err(format!("framer returned a frame of {} bytes", frame.len()));
        }
        let end = consumed.saturating_add(frame.len());
        if data.get(consumed..end) != Some(frame.as_slice()) {
            return Err("framer returned bytes that are not the stream's".to_string());
        }
        consumed = end;
        let _ = Tmessage::decode(&frame);
        let _ = Rmessage::decode(&frame);
    }
    Ok(())
}

fn qid(ty: u8, path: u64) -> Qid {
    Qid {
        ty,
        version: 0x0102_0304,
        path,
    }
}

fn ts(sec: u64, nsec: u64) -> Timestamp {
    Timestamp { sec, nsec }
}

/// One or more of every request, including edge cases (empty and non-UTF-8
/// names, the largest walk, a clone walk).
pub fn sample_tmessages() -> Vec<Tmessage> {
    vec![
        Tmessage::Version {
            msize: 65536,
            version: VERSION.to_vec(),
        },
        Tmessage::Auth {
            afid: Fid(7),
            uname: b"root".to_vec(),
            aname: b"/".to_vec(),
            n_uname: NONUNAME,
        },
        Tmessage::Attach {
            fid: Fid(0),
            afid: Fid::NONE,
            uname: Vec::new(),
            aname: b"/".to_vec(),
            n_uname: 0,
        },
        Tmessage::Flush { oldtag: 17 },
        Tmessage::Walk {
            fid: Fid(0),
            newfid: Fid(1),
            names: vec![b"usr".to_vec(), b"bin".to_vec()],
        },
        Tmessage::Walk {
            fid: Fid(1),
            newfid: Fid(2),
            names: Vec::new(),
        },
        Tmessage::Walk {
            fid: Fid(1),
            newfid: Fid(3),
            names: (0..MAX_WALK_ELEMENTS)
                .map(|i| format!("d{i}").into_bytes())
                .collect(),
        },
        Tmessage::Walk {
            fid: Fid(1),
            newfid: Fid(4),
            names: vec![vec![0xff, 0xfe, b'x']],
        },
        Tmessage::Read {
            fid: Fid(5),
            offset: u64::MAX,
            count: 8192,
        },
        Tmessage::Write {
            fid: Fid(5),
            offset: 6,
            data: b"hello\n".to_vec(),
        },
        Tmessage::Write {
            fid: Fid(5),
            offset: 0,
            data: Vec::new(),
        },
        Tmessage::Clunk { fid: Fid(5) },
        Tmessage::Remove { fid: Fid(6) },
        Tmessage::Statfs { fid: Fid(0) },
        Tmessage::Lopen {
            fid: Fid(2),
            flags: lopen::RDONLY | lopen::DIRECTORY,
        },
        Tmessage::Lcreate {
            fid: Fid(2),
            name: b"foo".to_vec(),
            flags: lopen::WRONLY | lopen::CREATE | lopen::TRUNC,
            mode: 0o100644,
            gid: 500,
        },
        Tmessage::Symlink {
            dfid: Fid(1),
            name: b"link".to_vec(),
            target: b"/tmp/9/newdir".to_vec(),
            gid: 500,
        },
        Tmessage::Mknod {
            dfid: Fid(1),
            name: b"null".to_vec(),
            mode: 0o020666,
            major: 1,
            minor: 3,
            gid: 0,
        },
        Tmessage::Rename {
            fid: Fid(3),
            dfid: Fid(1),
            name: b"new".to_vec(),
        },
        Tmessage::Readlink { fid: Fid(4) },
        Tmessage::Getattr {
            fid: Fid(1),
            request_mask: getattr::ALL,
        },
        Tmessage::Setattr {
            fid: Fid(2),
            attr: SetAttr {
                valid: setattr::MODE | setattr::SIZE | setattr::MTIME | setattr::MTIME_SET,
                mode: 0o600,
                uid: 1,
                gid: 2,
                size: 4096,
                atime: ts(0, 0),
                mtime: ts(1_700_000_000, 999_999_999),
            },
        },
        Tmessage::Xattrwalk {
            fid: Fid(1),
            newfid: Fid(9),
            name: b"user.x".to_vec(),
        },
        Tmessage::Xattrwalk {
            fid: Fid(1),
            newfid: Fid(9),
            name: Vec::new(),
        },
        Tmessage::Xattrcreate {
            fid: Fid(9),
            name: b"user.x".to_vec(),
            attr_size: 3,
            flags: xattr_flags::CREATE,
        },
        Tmessage::Readdir {
            fid: Fid(2),
            offset: 0,
            count: 65488,
        },
        Tmessage::Fsync {
            fid: Fid(2),
            datasync: 1,
        },
        Tmessage::Lock {
            fid: Fid(2),
            flags: lock_flags::BLOCK,
            lock: Flock {
                ty: lock_type::WRLCK,
                start: 0,
                length: 0,
                proc_id: 42,
                client_id: b"sandbox".to_vec(),
            },
        },
        Tmessage::Getlock {
            fid: Fid(2),
            lock: Flock {
                ty: lock_type::RDLCK,
                start: 10,
                length: 20,
                proc_id: 43,
                client_id: Vec::new(),
            },
        },
        Tmessage::Link {
            dfid: Fid(1),
            fid: Fid(3),
            name: b"hard".to_vec(),
        },
        Tmessage::Mkdir {
            dfid: Fid(1),
            name: b"newdir".to_vec(),
            mode: 0o40755,
            gid: 500,
        },
        Tmessage::Renameat {
            olddirfid: Fid(1),
            oldname: b"a".to_vec(),
            newdirfid: Fid(8),
            newname: b"b".to_vec(),
        },
        Tmessage::Unlinkat {
            dfid: Fid(1),
            name: b"newdir".to_vec(),
            flags: AT_REMOVEDIR,
        },
    ]
}

/// A sample Rgetattr body with every field distinct.
pub fn sample_attr() -> Attr {
    Attr {
        valid: getattr::ALL,
        qid: qid(qid_type::FILE, 0x2c1de4),
        mode: 0o100644,
        uid: 500,
        gid: 501,
        nlink: 1,
        rdev: 0x0801,
        size: 6,
        blksize: 4096,
        blocks: 8,
        atime: ts(1_296_000_000, 1),
        mtime: ts(1_296_000_001, 2),
        ctime: ts(1_296_000_002, 3),
        btime: ts(1_296_000_003, 4),
        generation: 5,
        data_version: 6,
    }
}

/// One or more of every reply, including edge cases.
pub fn sample_rmessages() -> Vec<Rmessage> {
    vec![
        Rmessage::Version {
            msize: 65536,
            version: VERSION.to_vec(),
        },
        Rmessage::Version {
            msize: 65536,
            version: UNKNOWN_VERSION.to_vec(),
        },
        Rmessage::Auth {
            aqid: qid(qid_type::AUTH, 1),
        },
        Rmessage::Attach {
            qid: qid(qid_type::DIR, 2),
        },
        Rmessage::Lerror { ecode: 2 },
        Rmessage::Flush,
        Rmessage::Walk {
            qids: vec![qid(qid_type::DIR, 3), qid(qid_type::FILE, 4)],
        },
        Rmessage::Walk { qids: Vec::new() },
        Rmessage::Read {
            data: b"hello\n".to_vec(),
        },
        Rmessage::Read { data: Vec::new() },
        Rmessage::Write { count: 6 },
        Rmessage::Clunk,
        Rmessage::Remove,
        Rmessage::Statfs(StatFs {
            ty: 0x01021994,
            bsize: 4096,
            blocks: 1000,
            bfree: 500,
            bavail: 400,
            files: 100,
            ffree: 50,
            fsid: 0xdead_beef,
            namelen: 255,
        }),
        Rmessage::Lopen {
            qid: qid(qid_type::FILE, 5),
            iounit: 0,
        },
        Rmessage::Lcreate {
            qid: qid(qid_type::FILE, 6),
            iounit: 4096,
        },
        Rmessage::Symlink {
            qid: qid(qid_type::SYMLINK, 7),
        },
        Rmessage::Mknod {
            qid: qid(qid_type::FILE, 8),
        },
        Rmessage::Rename,
        Rmessage::Readlink {
            target: b"../lib/ld-linux.so".to_vec(),
        },
        Rmessage::Getattr(sample_attr()),
        Rmessage::Setattr,
        Rmessage::Xattrwalk { size: 3 },
        Rmessage::Xattrcreate,
        Rmessage::Readdir {
            entries: vec![
                Dirent {
                    qid: qid(qid_type::DIR, 9),
                    offset: 1,
                    ty: dirent_type::DIR,
                    name: b"etc".to_vec(),
                },
                Dirent {
                    qid: qid(qid_type::FILE, 10),
                    offset: 2,
                    ty: dirent_type::REG,
                    name: vec![0xc3, 0x28],
                },
            ],
        },
        Rmessage::Readdir {
            entries: Vec::new(),
        },
        Rmessage::Fsync,
        Rmessage::Lock {
            status: lock_status::BLOCKED,
        },
        Rmessage::Getlock(Flock {
            ty: lock_type::UNLCK,
            start: 0,
            length: 0,
            proc_id: 0,
            client_id: b"host".to_vec(),
        }),
        Rmessage::Link,
        Rmessage::Mkdir {
            qid: qid(qid_type::DIR, 11),
        },
        Rmessage::Renameat,
        Rmessage::Unlinkat,
    ]
}
