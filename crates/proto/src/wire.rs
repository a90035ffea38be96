//! The primitive encodings every message is built from: little-endian
//! integers, `u16`-length-prefixed strings, qids and timestamps.
//!
//! [`Reader`] never indexes: every read goes through `split_first_chunk` or
//! `split_at_checked`, so a short buffer is a [`DecodeError::Truncated`], not a
//! panic, and nothing is allocated before the bytes it stands for have been
//! seen.

use crate::error::{DecodeError, EncodeError};
use crate::types::{Fid, Qid, Timestamp};

/// A cursor over the body of one message.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<N>()
            .ok_or(DecodeError::Truncated)?;
        self.buf = rest;
        Ok(*head)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, rest) = self.buf.split_at_checked(n).ok_or(DecodeError::Truncated)?;
        self.buf = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_le_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn fid(&mut self) -> Result<Fid, DecodeError> {
        Ok(Fid(self.u32()?))
    }

    /// A `length[2] bytes[length]` string. The length is checked against the
    /// bytes present before anything is copied.
    pub(crate) fn string(&mut self) -> Result<Vec<u8>, DecodeError> {
        let len = self.u16()?;
        Ok(self.bytes(usize::from(len))?.to_vec())
    }

    /// A `count[4] bytes[count]` payload (Rread, Twrite).
    pub(crate) fn data(&mut self) -> Result<Vec<u8>, DecodeError> {
        let count = self.u32()?;
        let count = usize::try_from(count).map_err(|_| DecodeError::Truncated)?;
        Ok(self.bytes(count)?.to_vec())
    }

    pub(crate) fn qid(&mut self) -> Result<Qid, DecodeError> {
        Ok(Qid {
            ty: self.u8()?,
            version: self.u32()?,
            path: self.u64()?,
        })
    }

    pub(crate) fn timestamp(&mut self) -> Result<Timestamp, DecodeError> {
        Ok(Timestamp {
            sec: self.u64()?,
            nsec: self.u64()?,
        })
    }

    /// Every field has been read: anything left over makes the message
    /// malformed (a strict decoder keeps encode(decode(x)) == x).
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes(self.buf.len()))
        }
    }
}

/// Appends fields to an output buffer. Lengths that do not fit their wire
/// field are an [`EncodeError`]; the message encoder rolls the buffer back.
pub(crate) struct Writer<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> Writer<'a> {
        Writer { buf }
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn fid(&mut self, fid: Fid) {
        self.u32(fid.0);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn string(&mut self, s: &[u8]) -> Result<(), EncodeError> {
        let len = u16::try_from(s.len()).map_err(|_| EncodeError::StringTooLong(s.len()))?;
        self.u16(len);
        self.bytes(s);
        Ok(())
    }

    pub(crate) fn data(&mut self, d: &[u8]) -> Result<(), EncodeError> {
        let count = u32::try_from(d.len()).map_err(|_| EncodeError::DataTooLong(d.len()))?;
        self.u32(count);
        self.bytes(d);
        Ok(())
    }

    pub(crate) fn qid(&mut self, q: &Qid) {
        self.u8(q.ty);
        self.u32(q.version);
        self.u64(q.path);
    }

    pub(crate) fn timestamp(&mut self, t: &Timestamp) {
        self.u64(t.sec);
        self.u64(t.nsec);
    }
}
