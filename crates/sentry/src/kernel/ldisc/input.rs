//! Input processing: received bytes into the read buffer, with line
//! editing, signal characters, flow control and echo (n_tty_receive_*).

use super::termios::*;
use super::{Cell, Effects, LineDiscipline, FLIP_LIMIT, N_TTY_BUF_SIZE};
use abi::signal::{SIGINT, SIGQUIT, SIGTSTP};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kill {
    Erase,
    Werase,
    Line,
}

/// The kernel's iscntrl: C0 controls and DEL (its ctype table has no C1 controls).
pub(super) fn iscntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

impl LineDiscipline {
    /// Bytes from the other side (a pty master's write): as many as the
    /// flip buffer takes, processed as far as the read buffer has room.
    pub fn receive(&mut self, data: &[u8]) -> (usize, Effects) {
        let n = data.len().min(FLIP_LIMIT.saturating_sub(self.flip.len()));
        self.flip.extend(&data[..n]);
        let mut fx = Effects::default();
        self.process(&mut fx);
        (n, fx)
    }

    /// Room for the master's writes.
    pub fn receive_room(&self) -> usize {
        FLIP_LIMIT.saturating_sub(self.flip.len())
    }

    /// Move received bytes into the read buffer while it has room.
    pub(super) fn process(&mut self, fx: &mut Effects) {
        let mut done = 0;
        while let Some(&c) = self.flip.front() {
            if !self.make_room() {
                break;
            }
            self.flip.pop_front();
            self.receive_char(c, fx);
            done += 1;
        }
        self.commit_echoes(fx);
        if done > 0 {
            fx.input_room = true;
            if !self.icanon() && !self.buf.is_empty() {
                fx.input = true;
            }
        }
    }

    /// Whether one more character may be processed. A canonical line that
    /// fills the buffer keeps taking characters, each replacing the last,
    /// so that a newline can still end it (n_tty_receive_buf_common).
    fn make_room(&mut self) -> bool {
        let cnt = self.buf.len();
        if cnt < N_TTY_BUF_SIZE - 1 {
            return true;
        }
        if self.icanon() && self.canon_head == 0 {
            if cnt >= N_TTY_BUF_SIZE {
                self.buf.pop_back();
            }
            return true;
        }
        false
    }

    fn put(&mut self, c: u8) {
        self.buf.push_back(Cell { c, delim: false });
    }

    fn receive_char(&mut self, c: u8, fx: &mut Effects) {
        let t = self.termios;
        let mut c = c;
        if t.iflag(ISTRIP) {
            c &= 0x7f;
        }
        if t.iflag(IUCLC) && t.lflag(IEXTEN) {
            c = c.to_ascii_lowercase();
        }
        if self.lnext {
            self.lnext = false;
            self.receive_plain(c, fx);
            return;
        }
        if t.lflag(EXTPROC) {
            self.put(c);
            return;
        }
        if self.special[usize::from(c)] {
            self.receive_special(c, fx);
        } else {
            self.receive_plain(c, fx);
        }
    }

    /// A character that is only stored (and echoed): n_tty_receive_char.
    fn receive_plain(&mut self, c: u8, fx: &mut Effects) {
        let t = self.termios;
        if self.stopped && !self.tco_stopped && t.iflag(IXON) && t.iflag(IXANY) {
            self.start(fx);
        }
        if t.lflag(ECHO) {
            self.finish_erasing(fx);
            if self.canon_head >= self.buf.len() {
                self.canon_column = self.column;
            }
            self.echo_char(c, fx);
        }
        if c == 0xff && t.iflag(PARMRK) {
            self.put(c);
        }
        self.put(c);
    }

    /// n_tty_receive_char_special.
    fn receive_special(&mut self, c: u8, fx: &mut Effects) {
        let t = self.termios;
        if t.iflag(IXON) && (c == t.cc(VSTART) || c == t.cc(VSTOP)) {
            if c == t.cc(VSTART) {
                self.start(fx);
            } else {
                self.stop();
            }
            return;
        }
        if t.lflag(ISIG) {
            let sig = if c == t.cc(VINTR) {
                Some(SIGINT)
            } else if c == t.cc(VQUIT) {
                Some(SIGQUIT)
            } else if c == t.cc(VSUSP) {
                Some(SIGTSTP)
            } else {
                None
            };
            if let Some(sig) = sig {
                self.receive_signal_char(sig, c, fx);
                return;
            }
        }
        if self.stopped && !self.tco_stopped && t.iflag(IXON) && t.iflag(IXANY) {
            self.start(fx);
        }
        let mut c = c;
        if c == b'\r' {
            if t.iflag(IGNCR) {
                return;
            }
            if t.iflag(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.iflag(INLCR) {
            c = b'\r';
        }
        if self.icanon() {
            if c == t.cc(VERASE) || c == t.cc(VKILL) || (c == t.cc(VWERASE) && t.lflag(IEXTEN)) {
                self.eraser(c, fx);
                return;
            }
            if c == t.cc(VLNEXT) && t.lflag(IEXTEN) {
                self.lnext = true;
                if t.lflag(ECHO) {
                    self.finish_erasing(fx);
                    if t.lflag(ECHOCTL) {
                        self.echo_raw(b'^', fx);
                        self.echo_raw(b'\x08', fx);
                    }
                }
                return;
            }
            if c == t.cc(VREPRINT) && t.lflag(ECHO) && t.lflag(IEXTEN) {
                self.finish_erasing(fx);
                self.echo_char(c, fx);
                self.echo_raw(b'\n', fx);
                let line: Vec<u8> = self.buf.iter().skip(self.canon_head).map(|x| x.c).collect();
                for x in line {
                    self.echo_char(x, fx);
                }
                return;
            }
            if c == b'\n' {
                if t.lflag(ECHO) || t.lflag(ECHONL) {
                    self.echo_raw(b'\n', fx);
                }
                self.end_line(c, fx);
                return;
            }
            if c == t.cc(VEOF) {
                self.end_line(DISABLED_CHAR, fx);
                return;
            }
            if c == t.cc(VEOL) || (c == t.cc(VEOL2) && t.lflag(IEXTEN)) {
                if t.lflag(ECHO) {
                    if self.canon_head >= self.buf.len() {
                        self.canon_column = self.column;
                    }
                    self.echo_char(c, fx);
                }
                if c == 0xff && t.iflag(PARMRK) {
                    self.put(c);
                }
                self.end_line(c, fx);
                return;
            }
        }
        if t.lflag(ECHO) {
            self.finish_erasing(fx);
            if c == b'\n' {
                self.echo_raw(b'\n', fx);
            } else {
                if self.canon_head >= self.buf.len() {
                    self.canon_column = self.column;
                }
                self.echo_char(c, fx);
            }
        }
        if c == 0xff && t.iflag(PARMRK) {
            self.put(c);
        }
        self.put(c);
    }

    /// Store `c` as the end of a line and make the line readable.
    fn end_line(&mut self, c: u8, fx: &mut Effects) {
        self.buf.push_back(Cell { c, delim: true });
        self.canon_head = self.buf.len();
        fx.input = true;
    }

    /// INTR, QUIT, SUSP: the signal, a flush of the input unless NOFLSH,
    /// output restarted under IXON, and the echo (n_tty_receive_signal_char).
    fn receive_signal_char(&mut self, sig: i32, c: u8, fx: &mut Effects) {
        let t = self.termios;
        fx.signals.push(sig);
        if !t.lflag(NOFLSH) {
            self.deferred.clear();
            self.reset_input();
            fx.input_room = true;
        }
        if t.iflag(IXON) {
            self.start(fx);
        }
        if t.lflag(ECHO) {
            self.echo_char(c, fx);
        }
    }

    fn is_continuation(&self, c: u8) -> bool {
        self.termios.iflag(IUTF8) && (c & 0xc0) == 0x80
    }

    /// ECHOPRT: close a "\erased" sequence with '/'.
    fn finish_erasing(&mut self, fx: &mut Effects) {
        if self.erasing {
            self.echo_raw(b'/', fx);
            self.erasing = false;
        }
    }

    /// ERASE, WERASE and KILL in canonical mode, with their echoes (eraser()).
    fn eraser(&mut self, c: u8, fx: &mut Effects) {
        let t = self.termios;
        if self.buf.len() <= self.canon_head {
            return;
        }
        let kill = if c == t.cc(VERASE) {
            Kill::Erase
        } else if c == t.cc(VWERASE) {
            Kill::Werase
        } else {
            if !t.lflag(ECHO) {
                self.buf.truncate(self.canon_head);
                return;
            }
            if !t.lflag(ECHOK) || !t.lflag(ECHOKE) || !t.lflag(ECHOE) {
                self.buf.truncate(self.canon_head);
                self.finish_erasing(fx);
                self.echo_char(c, fx);
                if t.lflag(ECHOK) {
                    self.echo_raw(b'\n', fx);
                }
                return;
            }
            Kill::Line
        };
        let mut seen_alnums = 0;
        while self.buf.len() > self.canon_head {
            // One character, with its UTF-8 continuation bytes.
            let mut head = self.buf.len();
            let mut ch;
            loop {
                head -= 1;
                ch = self.buf[head].c;
                if !(self.is_continuation(ch) && head > self.canon_head) {
                    break;
                }
            }
            if self.is_continuation(ch) {
                break;
            }
            if kill == Kill::Werase {
                if ch.is_ascii_alphanumeric() || ch == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let cnt = self.buf.len() - head;
            let erased: Vec<u8> = self.buf.iter().skip(head).map(|x| x.c).collect();
            self.buf.truncate(head);
            if t.lflag(ECHO) {
                if t.lflag(ECHOPRT) {
                    if !self.erasing {
                        self.echo_raw(b'\\', fx);
                        self.erasing = true;
                    }
                    self.echo_char(ch, fx);
                    for &b in erased.iter().skip(1).take(cnt - 1) {
                        self.echo_raw(b, fx);
                        self.column = self.column.saturating_sub(1);
                    }
                } else if kill == Kill::Erase && !t.lflag(ECHOE) {
                    self.echo_char(t.cc(VERASE), fx);
                } else if ch == b'\t' {
                    // Columns used since the start of the line or the last tab.
                    let mut num_chars = 0usize;
                    let mut after_tab = false;
                    for x in self.buf.iter().skip(self.canon_head).rev() {
                        if x.c == b'\t' {
                            after_tab = true;
                            break;
                        } else if iscntrl(x.c) {
                            if t.lflag(ECHOCTL) {
                                num_chars += 2;
                            }
                        } else if !self.is_continuation(x.c) {
                            num_chars += 1;
                        }
                    }
                    self.echo_erase_tab(num_chars, after_tab, fx);
                } else {
                    if iscntrl(ch) && t.lflag(ECHOCTL) {
                        self.echo_bytes_raw(b"\x08 \x08", fx);
                    }
                    if !iscntrl(ch) || t.lflag(ECHOCTL) {
                        self.echo_bytes_raw(b"\x08 \x08", fx);
                    }
                }
            }
            if kill == Kill::Erase {
                break;
            }
        }
        if self.buf.len() <= self.canon_head && t.lflag(ECHO) {
            self.finish_erasing(fx);
        }
    }
}
