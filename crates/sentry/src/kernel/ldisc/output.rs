//! Output processing (OPOST) of what the slave writes and of echoes, into
//! the buffer the master reads (do_output_char, process_echoes).

use super::input::iscntrl;
use super::termios::*;
use super::{Effects, LineDiscipline, ECHO_SLACK, OUTPUT_LIMIT};

/// Echoes are sent early once this many wait (ECHO_COMMIT_WATERMARK).
const ECHO_COMMIT_WATERMARK: usize = 256;

impl LineDiscipline {
    /// How many bytes a slave write may hand over now (0: it must wait).
    /// Output processing may expand them past the limit; the limit is
    /// what makes writers wait, not a hard bound.
    pub fn write_room(&self) -> usize {
        if self.stopped {
            return 0;
        }
        OUTPUT_LIMIT.saturating_sub(self.out.len())
    }

    /// A slave write of `data` (sized by [`LineDiscipline::write_room`]).
    pub fn write(&mut self, data: &[u8]) -> Effects {
        let mut fx = Effects::default();
        if data.is_empty() {
            return fx;
        }
        if self.termios.oflag(OPOST) {
            let mut bytes = Vec::with_capacity(data.len() + data.len() / 8);
            for &c in data {
                self.opost_char(c, &mut bytes);
            }
            self.out.extend(bytes);
        } else {
            self.out.extend(data);
        }
        fx.output = true;
        fx
    }

    /// What `c` becomes under OPOST, appended to `out`, keeping the column
    /// (do_output_char).
    fn opost_char(&mut self, c: u8, out: &mut Vec<u8>) {
        let t = self.termios;
        let mut c = c;
        match c {
            b'\n' => {
                if t.oflag(ONLRET) {
                    self.column = 0;
                }
                if t.oflag(ONLCR) {
                    self.canon_column = 0;
                    self.column = 0;
                    out.extend_from_slice(b"\r\n");
                    return;
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if t.oflag(ONOCR) && self.column == 0 {
                    return;
                }
                if t.oflag(OCRNL) {
                    c = b'\n';
                    if t.oflag(ONLRET) {
                        self.canon_column = 0;
                        self.column = 0;
                    }
                } else {
                    self.canon_column = 0;
                    self.column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                self.column += spaces;
                if t.c_oflag & TABDLY == XTABS {
                    out.extend(std::iter::repeat_n(b' ', spaces));
                    return;
                }
            }
            0x08 => self.column = self.column.saturating_sub(1),
            _ => {
                if !iscntrl(c) {
                    if t.oflag(OLCUC) {
                        c = c.to_ascii_uppercase();
                    }
                    if !(t.iflag(IUTF8) && (c & 0xc0) == 0x80) {
                        self.column += 1;
                    }
                }
            }
        }
        out.push(c);
    }

    /// Queue echo bytes. Echoes reach the master in batches: when a
    /// received chunk has been processed, or once 256 are waiting; until
    /// then a signal character's flush discards them, and while output is
    /// stopped they wait (Linux's echo buffer, 4096 bytes, drops the rest).
    fn emit_echo(&mut self, bytes: &[u8], fx: &mut Effects) {
        let room = ECHO_SLACK.saturating_sub(self.deferred.len());
        self.deferred.extend(&bytes[..bytes.len().min(room)]);
        if self.deferred.len() >= ECHO_COMMIT_WATERMARK {
            self.commit_echoes(fx);
        }
    }

    /// Send the queued echoes to the master, unless output is stopped.
    pub(super) fn commit_echoes(&mut self, fx: &mut Effects) {
        if self.stopped || self.deferred.is_empty() {
            return;
        }
        if self.out.len() < OUTPUT_LIMIT + ECHO_SLACK {
            self.out.extend(self.deferred.drain(..));
            fx.output = true;
        } else {
            self.deferred.clear();
        }
    }

    /// Echo `c` as output would show it (echo_char_raw).
    pub(super) fn echo_raw(&mut self, c: u8, fx: &mut Effects) {
        let mut bytes = Vec::with_capacity(2);
        if self.termios.oflag(OPOST) {
            self.opost_char(c, &mut bytes);
        } else {
            bytes.push(c);
        }
        self.emit_echo(&bytes, fx);
    }

    pub(super) fn echo_bytes_raw(&mut self, s: &[u8], fx: &mut Effects) {
        for &c in s {
            self.echo_raw(c, fx);
        }
    }

    /// Echo `c`, control characters as "^X" under ECHOCTL (echo_char).
    pub(super) fn echo_char(&mut self, c: u8, fx: &mut Effects) {
        if self.termios.lflag(ECHOCTL) && iscntrl(c) && c != b'\t' {
            self.column += 2;
            self.emit_echo(&[b'^', c ^ 0o100], fx);
        } else {
            self.echo_raw(c, fx);
        }
    }

    /// Back up over an erased tab: to the previous tab stop, counting from
    /// the line's start column unless another tab came first.
    pub(super) fn echo_erase_tab(&mut self, num_chars: usize, after_tab: bool, fx: &mut Effects) {
        let mut n = num_chars & 7;
        if !after_tab {
            n += self.canon_column;
        }
        let num_bs = 8 - (n & 7);
        self.column = self.column.saturating_sub(num_bs);
        let bs = vec![0x08u8; num_bs];
        self.emit_echo(&bs, fx);
    }
}
