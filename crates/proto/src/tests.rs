//! Codec tests: round trips of every message, golden bytes written from the
//! 9P2000.L documentation, and hostile frames.

use super::*;
use crate::testing::{check_roundtrip, sample_rmessages, sample_tmessages};

fn t_bytes(tag: Tag, m: &Tmessage) -> Vec<u8> {
    let mut buf = Vec::new();
    let n = m.encode(tag, &mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

fn r_bytes(tag: Tag, m: &Rmessage) -> Vec<u8> {
    let mut buf = Vec::new();
    let n = m.encode(tag, &mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

/// Sets a frame's size field to its length.
fn fix_size(mut frame: Vec<u8>) -> Vec<u8> {
    let len = u32::try_from(frame.len()).unwrap();
    frame[..4].copy_from_slice(&len.to_le_bytes());
    frame
}

fn le16(v: u16) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn le32(v: u32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}
fn le64(v: u64) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

#[test]
fn every_request_round_trips() {
    let samples = sample_tmessages();
    let mut types: Vec<u8> = samples.iter().map(|m| m.msg_type()).collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(types.len(), 28, "a sample of every request type");
    for (i, m) in samples.iter().enumerate() {
        let tag = u16::try_from(i).unwrap();
        let bytes = t_bytes(tag, m);
        assert_eq!(
            Tmessage::decode(&bytes),
            Ok((tag, m.clone())),
            "{}",
            m.name()
        );
        assert_eq!(bytes[4], m.msg_type());
        check_roundtrip(&bytes).unwrap();
        // A request is never a reply.
        assert!(matches!(
            Rmessage::decode(&bytes),
            Err(DecodeError::UnknownType(_))
        ));
    }
}

#[test]
fn every_reply_round_trips() {
    let samples = sample_rmessages();
    let mut types: Vec<u8> = samples.iter().map(|m| m.msg_type()).collect();
    types.sort_unstable();
    types.dedup();
    assert_eq!(types.len(), 29, "a sample of every reply type");
    for (i, m) in samples.iter().enumerate() {
        let tag = u16::try_from(i).unwrap().wrapping_add(1000);
        let bytes = r_bytes(tag, m);
        assert_eq!(
            Rmessage::decode(&bytes),
            Ok((tag, m.clone())),
            "{}",
            m.name()
        );
        assert_eq!(bytes[4], m.msg_type());
        check_roundtrip(&bytes).unwrap();
        assert!(matches!(
            Tmessage::decode(&bytes),
            Err(DecodeError::UnknownType(_))
        ));
    }
}

#[test]
fn every_request_has_a_reply_type() {
    for t in sample_tmessages() {
        let reply = sample_rmessages()
            .into_iter()
            .find(|r| r.msg_type() == t.msg_type() + 1)
            .unwrap_or_else(|| panic!("no reply for {}", t.name()));
        assert!(reply.answers(&t));
        assert_eq!(reply.name()[1..], t.name()[1..]);
        assert_eq!(reply.carries_fd(), t.expects_fd(), "{}", t.name());
        assert!(Rmessage::Lerror { ecode: 5 }.answers(&t));
    }
    let lopen = Tmessage::Lopen {
        fid: Fid(1),
        flags: 0,
    };
    assert!(!Rmessage::Walk { qids: vec![] }.answers(&lopen));
    assert!(!Rmessage::Lcreate {
        qid: Qid::default(),
        iounit: 0
    }
    .answers(&lopen));
}

#[test]
fn golden_tversion() {
    // size[4] Tversion tag[2] msize[4] version[s]
    let expected = [
        0x15, 0x00, 0x00, 0x00, // size 21
        100,  // Tversion
        0xff, 0xff, // NOTAG
        0x00, 0x00, 0x01, 0x00, // msize 65536
        0x08, 0x00, // len 8
        b'9', b'P', b'2', b'0', b'0', b'0', b'.', b'L',
    ];
    let m = Tmessage::Version {
        msize: 65536,
        version: VERSION.to_vec(),
    };
    assert_eq!(t_bytes(NOTAG, &m), expected);
    assert_eq!(Tmessage::decode(&expected), Ok((NOTAG, m)));
}

#[test]
fn golden_twalk_two_names() {
    // size[4] Twalk tag[2] fid[4] newfid[4] nwname[2] nwname*(wname[s])
    let expected = [
        0x1b, 0x00, 0x00, 0x00, // size 27
        110,  // Twalk
        0x01, 0x00, // tag 1
        0x00, 0x00, 0x00, 0x00, // fid 0
        0x01, 0x00, 0x00, 0x00, // newfid 1
        0x02, 0x00, // nwname 2
        0x03, 0x00, b'u', b's', b'r', // "usr"
        0x03, 0x00, b'b', b'i', b'n', // "bin"
    ];
    let m = Tmessage::Walk {
        fid: Fid(0),
        newfid: Fid(1),
        names: vec![b"usr".to_vec(), b"bin".to_vec()],
    };
    assert_eq!(t_bytes(1, &m), expected);
    assert_eq!(Tmessage::decode(&expected), Ok((1, m)));
}

#[test]
fn golden_rgetattr() {
    // size[4] Rgetattr tag[2] valid[8] qid[13] mode[4] uid[4] gid[4] nlink[8]
    // rdev[8] size[8] blksize[8] blocks[8] atime_sec[8] atime_nsec[8]
    // mtime_sec[8] mtime_nsec[8] ctime_sec[8] ctime_nsec[8] btime_sec[8]
    // btime_nsec[8] gen[8] data_version[8]
    let mut expected = vec![0xa0, 0x00, 0x00, 0x00, 25, 0x01, 0x00];
    expected.extend([0xff, 0x07, 0, 0, 0, 0, 0, 0]); // valid = BASIC
    expected.extend([0x00, 0, 0, 0, 0, 0xe4, 0x1d, 0x2c, 0, 0, 0, 0, 0]); // qid
    expected.extend([0xa4, 0x81, 0, 0]); // mode 0100644
    expected.extend([0xf4, 0x01, 0, 0]); // uid 500
    expected.extend([0xf5, 0x01, 0, 0]); // gid 501
    expected.extend([1, 0, 0, 0, 0, 0, 0, 0]); // nlink
    expected.extend([0; 8]); // rdev
    expected.extend([6, 0, 0, 0, 0, 0, 0, 0]); // size
    expected.extend([0x00, 0x10, 0, 0, 0, 0, 0, 0]); // blksize 4096
    expected.extend([8, 0, 0, 0, 0, 0, 0, 0]); // blocks
    for t in 1..=6u8 {
        expected.extend([t, 0, 0, 0, 0, 0, 0, 0]); // atime, mtime, ctime
    }
    expected.extend([0; 8 * 4]); // btime, gen, data_version
    assert_eq!(expected.len(), 160);
    let m = Rmessage::Getattr(Attr {
        valid: getattr::BASIC,
        qid: Qid {
            ty: qid_type::FILE,
            version: 0,
            path: 0x2c1de4,
        },
        mode: 0o100644,
        uid: 500,
        gid: 501,
        nlink: 1,
        rdev: 0,
        size: 6,
        blksize: 4096,
        blocks: 8,
        atime: Timestamp { sec: 1, nsec: 2 },
        mtime: Timestamp { sec: 3, nsec: 4 },
        ctime: Timestamp { sec: 5, nsec: 6 },
        btime: Timestamp::default(),
        generation: 0,
        data_version: 0,
    });
    assert_eq!(r_bytes(1, &m), expected);
    assert_eq!(Rmessage::decode(&expected), Ok((1, m)));
}

#[test]
fn golden_rlerror_and_rreaddir() {
    let enoent = [0x0b, 0, 0, 0, 7, 0x05, 0x00, 0x02, 0, 0, 0];
    assert_eq!(
        Rmessage::decode(&enoent).unwrap().1.errno(),
        Some(abi::Errno::ENOENT)
    );
    assert_eq!(r_bytes(5, &Rmessage::lerror(abi::Errno::ENOENT)), enoent);

    // size[4] Rreaddir tag[2] count[4] data[count]; entry: qid[13] offset[8] type[1] name[s]
    let mut expected = vec![0, 0, 0, 0, 41, 0x02, 0x00];
    expected.extend(le32(13 + 8 + 1 + 2 + 1));
    expected.extend([0x80, 0, 0, 0, 0, 0x2a, 0, 0, 0, 0, 0, 0, 0]);
    expected.extend(le64(1));
    expected.push(4);
    expected.extend(le16(1));
    expected.push(b'.');
    let expected = fix_size(expected);
    let m = Rmessage::Readdir {
        entries: vec![Dirent {
            qid: Qid {
                ty: qid_type::DIR,
                version: 0,
                path: 42,
            },
            offset: 1,
            ty: dirent_type::DIR,
            name: b".".to_vec(),
        }],
    };
    assert_eq!(r_bytes(2, &m), expected);
}

#[test]
fn every_truncation_is_an_error() {
    let frames: Vec<Vec<u8>> = sample_tmessages()
        .iter()
        .map(|m| t_bytes(3, m))
        .chain(sample_rmessages().iter().map(|m| r_bytes(3, m)))
        .collect();
    for frame in &frames {
        for len in 0..frame.len() {
            let cut = &frame[..len];
            assert!(Tmessage::decode(cut).is_err(), "{frame:?} cut at {len}");
            assert!(Rmessage::decode(cut).is_err(), "{frame:?} cut at {len}");
            check_roundtrip(cut).unwrap();
            // The same cut with a consistent size field: the body itself is
            // short.
            if len >= HEADER_SIZE {
                let fixed = fix_size(cut.to_vec());
                let t = Tmessage::decode(&fixed);
                let r = Rmessage::decode(&fixed);
                assert!(t.is_err() && r.is_err(), "{fixed:?}: {t:?} {r:?}");
                check_roundtrip(&fixed).unwrap();
            }
        }
    }
}

#[test]
fn trailing_bytes_are_an_error() {
    for m in sample_tmessages() {
        let mut b = t_bytes(1, &m);
        b.push(0);
        let b = fix_size(b);
        assert_eq!(Tmessage::decode(&b), Err(DecodeError::TrailingBytes(1)));
    }
    for m in sample_rmessages() {
        let mut b = r_bytes(1, &m);
        b.push(0);
        let b = fix_size(b);
        // An Rreaddir's extra byte falls outside its count, so it trails too.
        assert_eq!(Rmessage::decode(&b), Err(DecodeError::TrailingBytes(1)));
    }
}

#[test]
fn size_field_must_match_the_frame() {
    let good = t_bytes(1, &Tmessage::Clunk { fid: Fid(3) });
    for declared in [0u32, 6, 10, 12, u32::MAX] {
        let mut b = good.clone();
        b[..4].copy_from_slice(&declared.to_le_bytes());
        assert_eq!(
            Tmessage::decode(&b),
            Err(DecodeError::SizeMismatch {
                declared,
                actual: 11
            })
        );
    }
    assert_eq!(
        Tmessage::decode(&[7, 0, 0, 0, 120, 0]),
        Err(DecodeError::TooShort { len: 6 })
    );
    assert_eq!(Tmessage::decode(&[]), Err(DecodeError::TooShort { len: 0 }));
}

#[test]
fn hostile_counts_are_refused_without_allocating() {
    // Twalk claiming 65535 names.
    let mut b = vec![0, 0, 0, 0, 110, 1, 0];
    b.extend(le32(0));
    b.extend(le32(1));
    b.extend(le16(u16::MAX));
    assert_eq!(
        Tmessage::decode(&fix_size(b)),
        Err(DecodeError::TooManyWalkElements(u16::MAX))
    );
    // Twalk claiming 16 names with none present.
    let mut b = vec![0, 0, 0, 0, 110, 1, 0];
    b.extend(le32(0));
    b.extend(le32(1));
    b.extend(le16(16));
    assert_eq!(Tmessage::decode(&fix_size(b)), Err(DecodeError::Truncated));
    // Rwalk claiming 17 qids.
    let mut b = vec![0, 0, 0, 0, 111, 1, 0];
    b.extend(le16(17));
    b.extend([0u8; 13 * 17]);
    assert_eq!(
        Rmessage::decode(&fix_size(b)),
        Err(DecodeError::TooManyWalkElements(17))
    );
    // Rread claiming 4 GiB of data.
    let mut b = vec![0, 0, 0, 0, 117, 1, 0];
    b.extend(le32(u32::MAX));
    b.extend(b"abc");
    assert_eq!(Rmessage::decode(&fix_size(b)), Err(DecodeError::Truncated));
    // Twrite likewise.
    let mut b = vec![0, 0, 0, 0, 118, 1, 0];
    b.extend(le32(1));
    b.extend(le64(0));
    b.extend(le32(u32::MAX));
    assert_eq!(Tmessage::decode(&fix_size(b)), Err(DecodeError::Truncated));
    // A string claiming 65535 bytes.
    let mut b = vec![0, 0, 0, 0, 23, 1, 0];
    b.extend(le16(u16::MAX));
    b.extend(b"xyz");
    assert_eq!(Rmessage::decode(&fix_size(b)), Err(DecodeError::Truncated));
    // Rreaddir whose count is huge, or cuts an entry in half.
    let mut b = vec![0, 0, 0, 0, 41, 1, 0];
    b.extend(le32(u32::MAX));
    assert_eq!(Rmessage::decode(&fix_size(b)), Err(DecodeError::Truncated));
    let mut b = vec![0, 0, 0, 0, 41, 1, 0];
    b.extend(le32(10));
    b.extend([0u8; 10]);
    assert_eq!(Rmessage::decode(&fix_size(b)), Err(DecodeError::Truncated));
    // Zero counts are fine.
    let mut b = vec![0, 0, 0, 0, 41, 1, 0];
    b.extend(le32(0));
    assert_eq!(
        Rmessage::decode(&fix_size(b)),
        Ok((1, Rmessage::Readdir { entries: vec![] }))
    );
}

#[test]
fn unknown_and_plain_9p2000_types_are_refused() {
    for ty in [0u8, 6, 106, 107, 112, 113, 114, 124, 126, 200, 255] {
        let b = fix_size(vec![0, 0, 0, 0, ty, 1, 0, 0, 0, 0, 0]);
        assert_eq!(Tmessage::decode(&b), Err(DecodeError::UnknownType(ty)));
        assert_eq!(Rmessage::decode(&b), Err(DecodeError::UnknownType(ty)));
    }
}

#[test]
fn encode_refuses_oversized_fields_and_leaves_buffer_alone() {
    let mut buf = vec![1, 2, 3];
    let long = Tmessage::Lcreate {
        fid: Fid(1),
        name: vec![b'a'; 65536],
        flags: 0,
        mode: 0,
        gid: 0,
    };
    assert_eq!(
        long.encode(1, &mut buf),
        Err(EncodeError::StringTooLong(65536))
    );
    assert_eq!(buf, [1, 2, 3]);
    let deep = Tmessage::Walk {
        fid: Fid(1),
        newfid: Fid(2),
        names: vec![b"a".to_vec(); MAX_WALK_ELEMENTS + 1],
    };
    assert_eq!(
        deep.encode(1, &mut buf),
        Err(EncodeError::TooManyWalkElements(17))
    );
    let qids = Rmessage::Walk {
        qids: vec![Qid::default(); 17],
    };
    assert_eq!(
        qids.encode(1, &mut buf),
        Err(EncodeError::TooManyWalkElements(17))
    );
    assert_eq!(buf, [1, 2, 3]);
    // Appending after existing content works and leaves it intact.
    let n = Tmessage::Clunk { fid: Fid(9) }.encode(4, &mut buf).unwrap();
    assert_eq!(n, 11);
    assert_eq!(&buf[..3], [1, 2, 3]);
    assert_eq!(
        Tmessage::decode(&buf[3..]),
        Ok((4, Tmessage::Clunk { fid: Fid(9) }))
    );
}

#[test]
fn framer_splits_a_stream_at_any_boundary() {
    let msgs = sample_tmessages();
    let mut stream = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        m.encode(u16::try_from(i).unwrap(), &mut stream).unwrap();
    }
    for chunk in [1usize, 2, 3, 7, 64, stream.len()] {
        let mut f = Framer::new(DEFAULT_MSIZE);
        let mut got = Vec::new();
        for piece in stream.chunks(chunk) {
            f.push(piece);
            while let Some(frame) = f.next_frame().unwrap() {
                got.push(Tmessage::decode(&frame).unwrap().1);
            }
        }
        assert_eq!(got, msgs);
        assert_eq!(f.buffered(), 0);
        assert_eq!(f.wanted(), 4);
    }
}

#[test]
fn framer_wanted_counts_down() {
    let frame = t_bytes(1, &Tmessage::Clunk { fid: Fid(1) });
    let mut f = Framer::new(MIN_MSIZE);
    assert_eq!(f.wanted(), 4);
    f.push(&frame[..2]);
    assert_eq!(f.wanted(), 2);
    f.push(&frame[2..5]);
    assert_eq!(f.wanted(), 6);
    assert_eq!(f.next_frame(), Ok(None));
    f.push(&frame[5..]);
    assert_eq!(f.wanted(), 0);
    assert_eq!(f.next_frame(), Ok(Some(frame)));
}

#[test]
fn framer_refuses_bad_sizes_before_buffering_them() {
    let mut f = Framer::new(MIN_MSIZE);
    f.push(&(MIN_MSIZE + 1).to_le_bytes());
    let err = FrameError::TooLarge {
        size: MIN_MSIZE + 1,
        msize: MIN_MSIZE,
    };
    assert_eq!(f.next_frame(), Err(err));
    // The stream stays broken.
    f.push(&t_bytes(1, &Tmessage::Clunk { fid: Fid(1) }));
    assert_eq!(f.next_frame(), Err(err));
    assert_eq!(f.wanted(), 0);

    for size in [0u32, 1, 6] {
        let mut f = Framer::new(MIN_MSIZE);
        f.push(&size.to_le_bytes());
        assert_eq!(f.next_frame(), Err(FrameError::TooSmall(size)));
    }
    // Exactly msize and exactly the header are accepted.
    assert_eq!(check_frame_size(MIN_MSIZE, MIN_MSIZE), Ok(()));
    assert_eq!(check_frame_size(7, MIN_MSIZE), Ok(()));
    let mut f = Framer::new(MIN_MSIZE);
    f.set_msize(100);
    assert_eq!(f.msize(), 100);
    f.push(&101u32.to_le_bytes());
    assert!(f.next_frame().is_err());
}

#[test]
fn version_negotiation() {
    assert_eq!(
        negotiate_version(65536, b"9P2000.L", DEFAULT_MSIZE),
        Negotiated::Agreed { msize: 65536 }
    );
    assert_eq!(
        negotiate_version(u32::MAX, b"9P2000.L.rvisor", DEFAULT_MSIZE),
        Negotiated::Agreed {
            msize: DEFAULT_MSIZE
        }
    );
    for v in [&b"9P2000"[..], b"9P2000.u", b"9P2000.Lx", b"", b"9P2000.l"] {
        assert_eq!(
            negotiate_version(65536, v, DEFAULT_MSIZE),
            Negotiated::Unsupported
        );
    }
    assert_eq!(
        negotiate_version(MIN_MSIZE - 1, VERSION, DEFAULT_MSIZE),
        Negotiated::Unsupported
    );
}

#[test]
fn errno_mapping_filters_both_ways() {
    use abi::Errno;
    assert_eq!(errno_to_wire(Errno::ENOENT), 2);
    assert_eq!(errno_to_wire(Errno::ERESTARTSYS), 4);
    assert_eq!(errno_to_wire(Errno::ERESTART_RESTARTBLOCK), 4);
    assert_eq!(errno_to_wire(Errno(0)), 5);
    assert_eq!(errno_to_wire(Errno(-2)), 5);
    assert_eq!(errno_to_wire(Errno(600)), 5);
    assert_eq!(errno_from_wire(13), Errno::EACCES);
    for hostile in [0u32, 512, 513, 516, 4095, u32::MAX] {
        assert_eq!(errno_from_wire(hostile), Errno::EIO, "{hostile}");
    }
    assert_eq!(Rmessage::Lerror { ecode: 512 }.errno(), Some(Errno::EIO));
    assert_eq!(Rmessage::Clunk.errno(), None);
    for e in 1..=133 {
        assert_eq!(Rmessage::lerror(Errno(e)).errno(), Some(Errno(e)));
    }
}

#[test]
fn helpers() {
    assert_eq!(Qid::type_from_mode(0o40755), qid_type::DIR);
    assert_eq!(Qid::type_from_mode(0o120777), qid_type::SYMLINK);
    assert_eq!(Qid::type_from_mode(0o100644), qid_type::FILE);
    assert_eq!(dirent_type::from_mode(0o40755), dirent_type::DIR);
    assert_eq!(dirent_type::from_mode(0o100644), dirent_type::REG);
    assert_eq!(dirent_type::from_mode(0o140000), dirent_type::SOCK);
    let e = Dirent {
        name: b"abc".to_vec(),
        ..Dirent::default()
    };
    let m = Rmessage::Readdir {
        entries: vec![e.clone(), e.clone()],
    };
    assert_eq!(r_bytes(1, &m).len(), HEADER_SIZE + 4 + 2 * e.encoded_len());
    assert_eq!(u32::try_from(HEADER_SIZE + 4).unwrap(), RREAD_HEADER);
    assert_eq!(RREADDIR_HEADER, RREAD_HEADER);
    let w = Tmessage::Write {
        fid: Fid(1),
        offset: 0,
        data: vec![7; 100],
    };
    assert_eq!(t_bytes(1, &w).len(), 100 + TWRITE_HEADER as usize);
}
