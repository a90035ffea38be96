//! What can go wrong turning bytes into messages and back. None of these is
//! ever a panic: a peer that sends garbage gets a `DecodeError`, and the
//! caller decides whether to answer with Rlerror or drop the connection.

use std::fmt;

/// A frame that is not a well-formed message of the expected direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Fewer than the 7 header bytes (`size[4] type[1] tag[2]`).
    TooShort { len: usize },
    /// The frame's `size` field is not the number of bytes given.
    SizeMismatch { declared: u32, actual: usize },
    /// A message type this side does not accept: unknown, a 9P2000 (not .L)
    /// type, or a reply where a request was expected (and vice versa).
    UnknownType(u8),
    /// A field, string or count runs past the end of the frame.
    Truncated,
    /// Bytes left over after the last field.
    TrailingBytes(usize),
    /// Twalk or Rwalk naming more than [`MAX_WALK_ELEMENTS`](crate::MAX_WALK_ELEMENTS).
    TooManyWalkElements(u16),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::TooShort { len } => {
                write!(f, "9P frame of {len} bytes is shorter than its header")
            }
            DecodeError::SizeMismatch { declared, actual } => write!(
                f,
                "9P frame declares {declared} bytes but {actual} were given"
            ),
            DecodeError::UnknownType(t) => write!(f, "unexpected 9P message type {t}"),
            DecodeError::Truncated => write!(f, "9P message field runs past the end of the frame"),
            DecodeError::TrailingBytes(n) => write!(f, "{n} bytes left after the 9P message"),
            DecodeError::TooManyWalkElements(n) => {
                write!(f, "9P walk of {n} elements exceeds the limit of 16")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A message that cannot be put on the wire: a field too long for its length
/// prefix. This is a bug in the sender (names are at most 255 bytes, targets
/// at most PATH_MAX), reported instead of silently truncated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// A string longer than 65535 bytes.
    StringTooLong(usize),
    /// Twalk or Rwalk with more than [`MAX_WALK_ELEMENTS`](crate::MAX_WALK_ELEMENTS).
    TooManyWalkElements(usize),
    /// Read/write/readdir data longer than `u32::MAX` bytes.
    DataTooLong(usize),
    /// The whole message exceeds the 4-byte size field.
    MessageTooLong(usize),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::StringTooLong(n) => write!(f, "9P string of {n} bytes exceeds 65535"),
            EncodeError::TooManyWalkElements(n) => {
                write!(f, "9P walk of {n} elements exceeds the limit of 16")
            }
            EncodeError::DataTooLong(n) => write!(f, "9P data of {n} bytes exceeds u32"),
            EncodeError::MessageTooLong(n) => write!(f, "9P message of {n} bytes exceeds u32"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// A byte stream that cannot be split into frames. The stream is out of
/// step with the peer after this; the connection must be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A size field below the 7-byte header.
    TooSmall(u32),
    /// A size field above the negotiated msize.
    TooLarge { size: u32, msize: u32 },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooSmall(s) => write!(f, "9P frame size {s} is below the 7-byte header"),
            FrameError::TooLarge { size, msize } => {
                write!(f, "9P frame size {size} exceeds msize {msize}")
            }
        }
    }
}

impl std::error::Error for FrameError {}
