//! Taking input out (slave reads) and output out (master reads). Waiting
//! (VMIN, VTIME, blocking) is the caller's business: these take what is
//! there now.

use super::termios::DISABLED_CHAR;
use super::{Effects, LineDiscipline};
use abi::Errno;

/// Where read bytes go: returns how many it accepted (fewer on a fault).
pub type Sink<'a> = dyn FnMut(&[u8]) -> Result<usize, Errno> + 'a;

impl LineDiscipline {
    /// Whether reads follow canonical rules (one line at a time).
    pub fn canonical(&self) -> bool {
        self.icanon()
    }

    /// A canonical read of at most `max` bytes: the rest of the first
    /// complete line, its newline (or EOL) included and its EOF mark
    /// consumed but not returned; a line longer than `max` is returned in
    /// parts (canon_copy_from_read_buf). Returns 0 at an EOF mark (or if
    /// no line is complete, which callers check first).
    pub fn read_canon(
        &mut self,
        max: usize,
        put: &mut Sink<'_>,
    ) -> Result<(usize, Effects), Errno> {
        let avail = self.canon_head.min(self.buf.len());
        let n = max.min(avail);
        let eol = (0..n).find(|&i| self.buf[i].delim);
        let (copy, consume) = match eol {
            Some(i) if self.buf[i].c == DISABLED_CHAR => (i, i + 1),
            Some(i) => (i + 1, i + 1),
            None => (n, n),
        };
        let data: Vec<u8> = self.buf.iter().take(copy).map(|c| c.c).collect();
        let got = if data.is_empty() { 0 } else { put(&data)? };
        let consumed = if got < copy { got } else { consume };
        self.buf.drain(..consumed);
        self.canon_head = self.canon_head.saturating_sub(consumed);
        let mut fx = Effects::default();
        self.process(&mut fx);
        Ok((got, fx))
    }

    /// A non-canonical read: up to `max` of the bytes there are.
    pub fn read_raw(&mut self, max: usize, put: &mut Sink<'_>) -> Result<(usize, Effects), Errno> {
        let n = max.min(self.buf.len());
        let data: Vec<u8> = self.buf.iter().take(n).map(|c| c.c).collect();
        let got = if data.is_empty() { 0 } else { put(&data)? };
        self.buf.drain(..got);
        self.canon_head = self.canon_head.saturating_sub(got);
        let mut fx = Effects::default();
        self.process(&mut fx);
        Ok((got, fx))
    }

    /// Bytes in the read buffer (non-canonical reads compare it with VMIN).
    pub fn input_cells(&self) -> usize {
        self.buf.len()
    }

    /// A master read: up to `max` bytes of output.
    pub fn read_output(
        &mut self,
        max: usize,
        put: &mut Sink<'_>,
    ) -> Result<(usize, Effects), Errno> {
        let n = max.min(self.out.len());
        let (a, b) = self.out.as_slices();
        let mut got = 0;
        for part in [a, b] {
            let want = (n - got).min(part.len());
            if want == 0 {
                continue;
            }
            let k = put(&part[..want])?;
            got += k;
            if k < want {
                break;
            }
        }
        self.out.drain(..got);
        let fx = Effects {
            output_room: got > 0,
            ..Default::default()
        };
        Ok((got, fx))
    }
}
