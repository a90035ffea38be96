//! Framing: every message is `size[4] type[1] tag[2] body`, where `size`
//! counts the whole frame including itself. [`Framer`] cuts a byte stream
//! into frames and refuses any whose size is below the header or above the
//! negotiated msize, before buffering its body.

use crate::error::{DecodeError, EncodeError, FrameError};
use crate::types::{Tag, VERSION};
use crate::wire::{Reader, Writer};

/// Bytes of `size[4] type[1] tag[2]`.
pub const HEADER_SIZE: usize = 7;

/// The smallest msize either side agrees to. Every message with names of
/// at most 255 bytes and a symlink target of at most PATH_MAX fits in it
/// (a 16-name Twalk is 4.1 KiB); Linux's client also refuses less than 4 KiB.
pub const MIN_MSIZE: u32 = 8192;

/// The msize the Sentry proposes. Reads and writes of open files go through
/// donated fds, so msize bounds only directory listings, readlink, xattrs and
/// the Tread/Twrite fallback.
pub const DEFAULT_MSIZE: u32 = 1 << 20;

/// Bytes of an Rread besides its data: a reply to Tread may carry at most
/// `msize - RREAD_HEADER` bytes (the same holds for Rreaddir's entries).
pub const RREAD_HEADER: u32 = 11;

/// Bytes of a Twrite besides its data.
pub const TWRITE_HEADER: u32 = 23;

/// Bytes of an Rreaddir besides its entries.
pub const RREADDIR_HEADER: u32 = 11;

/// The outcome of a Tversion, as the server decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Negotiated {
    /// Speak 9P2000.L with frames of at most `msize` bytes; answer
    /// Rversion { msize, VERSION }.
    Agreed { msize: u32 },
    /// Answer Rversion { msize, UNKNOWN_VERSION } and expect another Tversion.
    Unsupported,
}

/// The server's answer to Tversion { `client_msize`, `client_version` }:
/// msize is the smaller of the two sides' limits, and the version must be
/// 9P2000.L or an extension of it ("9P2000.L.x", answered as plain 9P2000.L).
pub fn negotiate_version(client_msize: u32, client_version: &[u8], server_max: u32) -> Negotiated {
    let dialect_ok = match client_version.strip_prefix(VERSION) {
        Some(rest) => rest.is_empty() || rest.starts_with(b"."),
        None => false,
    };
    let msize = client_msize.min(server_max);
    if dialect_ok && msize >= MIN_MSIZE {
        Negotiated::Agreed { msize }
    } else {
        Negotiated::Unsupported
    }
}

/// Checks a frame's `size` field against the bounds of the connection.
pub fn check_frame_size(size: u32, msize: u32) -> Result<(), FrameError> {
    if usize::try_from(size).is_ok_and(|s| s < HEADER_SIZE) {
        return Err(FrameError::TooSmall(size));
    }
    if size > msize {
        return Err(FrameError::TooLarge { size, msize });
    }
    Ok(())
}

/// The `size` field at the start of `bytes`, if four bytes are there.
pub fn peek_frame_size(bytes: &[u8]) -> Option<u32> {
    bytes.first_chunk::<4>().map(|b| u32::from_le_bytes(*b))
}

/// Splits a byte stream (a SOCK_STREAM socket) into frames. Over a
/// SOCK_SEQPACKET socket every recvmsg already returns one frame; pass it to
/// [`check_frame_size`] and the decoder instead.
///
/// Memory is bounded by what the peer has actually sent plus one frame: a
/// declared size is checked against msize as soon as its four bytes arrive.
#[derive(Debug)]
pub struct Framer {
    msize: u32,
    buf: Vec<u8>,
    /// Set once the stream is out of step; every later call returns it.
    broken: Option<FrameError>,
}

impl Framer {
    /// A framer that accepts frames of up to `msize` bytes. Before Tversion
    /// completes, use the largest msize this side would agree to.
    pub fn new(msize: u32) -> Framer {
        Framer {
            msize,
            buf: Vec::new(),
            broken: None,
        }
    }

    pub fn msize(&self) -> u32 {
        self.msize
    }

    /// Adopts the msize negotiated by Tversion/Rversion.
    pub fn set_msize(&mut self, msize: u32) {
        self.msize = msize;
    }

    /// Appends bytes received from the peer.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes complete the next frame (or its size field), so a
    /// reader can ask the socket for exactly that much. 0 when a frame is
    /// ready or the stream is broken.
    pub fn wanted(&self) -> usize {
        if self.broken.is_some() {
            return 0;
        }
        let target = match peek_frame_size(&self.buf) {
            None => 4,
            Some(size) => usize::try_from(size).unwrap_or(usize::MAX),
        };
        target.saturating_sub(self.buf.len())
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed, or the
    /// reason the stream cannot be framed.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        let Some(size) = peek_frame_size(&self.buf) else {
            return Ok(None);
        };
        if let Err(e) = check_frame_size(size, self.msize) {
            self.broken = Some(e);
            self.buf = Vec::new();
            return Err(e);
        }
        let Ok(len) = usize::try_from(size) else {
            return Ok(None);
        };
        if self.buf.len() < len {
            return Ok(None);
        }
        let rest = self.buf.split_off(len);
        Ok(Some(std::mem::replace(&mut self.buf, rest)))
    }
}

/// Writes one frame: header, then whatever `body` writes, then the size.
/// On error the buffer is left as it was. Returns the frame's length.
pub(crate) fn encode_frame(
    ty: u8,
    tag: Tag,
    buf: &mut Vec<u8>,
    body: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
) -> Result<usize, EncodeError> {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
    buf.push(ty);
    buf.extend_from_slice(&tag.to_le_bytes());
    let written = body(&mut Writer::new(buf)).and_then(|()| {
        let len = buf.len().saturating_sub(start);
        u32::try_from(len)
            .map(|size| (len, size))
            .map_err(|_| EncodeError::MessageTooLong(len))
    });
    match written {
        Ok((len, size)) => {
            if let Some(field) = buf.get_mut(start..).and_then(|b| b.first_chunk_mut::<4>()) {
                *field = size.to_le_bytes();
            }
            Ok(len)
        }
        Err(e) => {
            buf.truncate(start);
            Err(e)
        }
    }
}

/// Checks a frame's header and returns its type, tag and a reader over the
/// body.
pub(crate) fn decode_header(frame: &[u8]) -> Result<(u8, Tag, Reader<'_>), DecodeError> {
    if frame.len() < HEADER_SIZE {
        return Err(DecodeError::TooShort { len: frame.len() });
    }
    let mut r = Reader::new(frame);
    let declared = r.u32()?;
    if usize::try_from(declared) != Ok(frame.len()) {
        return Err(DecodeError::SizeMismatch {
            declared,
            actual: frame.len(),
        });
    }
    let ty = r.u8()?;
    let tag = r.u16()?;
    Ok((ty, tag, r))
}
