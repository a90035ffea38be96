//! The line discipline of a terminal (Linux's N_TTY): what happens to the
//! bytes between a terminal's two sides. Input (what a pseudo-terminal
//! master writes, what the slave reads) is edited into lines in canonical
//! mode, echoed, and scanned for the characters that send signals or stop
//! output; output (what the slave writes) is post-processed (ONLCR, tab
//! expansion...) on its way to the master.
//!
//! This is a state machine over byte buffers, with no knowledge of tasks,
//! files or time: callers (`fs::devpts`) lock it, feed it, and act on the
//! [`Effects`] it reports (signals for the foreground process group,
//! readiness changes) once the lock is dropped. Its behaviour follows
//! Linux's n_tty.c closely, down to the order of checks, the 4095-byte
//! input buffer and the column arithmetic of echoed erasures.
//!
//! Buffers: received bytes wait in the *flip* buffer (8 KiB, Linux's limit
//! for a pty) until the discipline has room to process them into the *read*
//! buffer (4096 cells); processed output and echoes go to the *output*
//! buffer, which the master reads.
//!
//! May use: nothing but `abi` (pure state).

mod input;
mod output;
mod read;
pub mod termios;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use termios::*;

/// The read buffer's size (N_TTY_BUF_SIZE): at most this many cells.
pub const N_TTY_BUF_SIZE: usize = 4096;
/// Received bytes waiting to be processed: Linux's flip-buffer limit for ptys.
pub const FLIP_LIMIT: usize = 8192;
/// Output the master has not read yet, before slave writes wait.
pub const OUTPUT_LIMIT: usize = FLIP_LIMIT + N_TTY_BUF_SIZE - 1;
/// Echoes beyond the output limit are dropped past this much more (Linux
/// keeps echoes in a ring of 4096 and drops the oldest).
const ECHO_SLACK: usize = N_TTY_BUF_SIZE;

/// What an operation asks the caller to do once the discipline is unlocked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    /// Signals for the terminal's foreground process group (ISIG), in order.
    pub signals: Vec<i32>,
    /// New input became readable by the slave.
    pub input: bool,
    /// New output became readable by the master.
    pub output: bool,
    /// Room appeared for the master's writes.
    pub input_room: bool,
    /// Room appeared for the slave's writes (output restarted or drained).
    pub output_room: bool,
}

impl Effects {
    pub fn merge(&mut self, o: Effects) {
        self.signals.extend(o.signals);
        self.input |= o.input;
        self.output |= o.output;
        self.input_room |= o.input_room;
        self.output_room |= o.output_room;
    }
}

/// One processed input byte: the character and whether it ends a line
/// (canonical mode's newline, EOL, EOL2 and EOF; EOF is kept as
/// [`DISABLED_CHAR`] and never read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cell {
    c: u8,
    delim: bool,
}

pub struct LineDiscipline {
    termios: Termios2,
    /// Characters that need more than storing (Linux's char_map).
    special: [bool; 256],
    flip: VecDeque<u8>,
    buf: VecDeque<Cell>,
    /// Canonical mode: the cells at the front that form complete lines
    /// (readable); those after them are the line being edited.
    canon_head: usize,
    /// The last character was LNEXT: take the next one literally.
    lnext: bool,
    /// ECHOPRT: inside a "\erased/" sequence.
    erasing: bool,
    out: VecDeque<u8>,
    /// Output column, for tab expansion and echoed tab erasure.
    column: usize,
    /// The column the line being edited started at.
    canon_column: usize,
    /// Output stopped by the STOP character (IXON).
    stopped: bool,
    /// Output stopped by TCXONC(TCOOFF).
    tco_stopped: bool,
    /// Echoes not sent to the master yet (see `emit_echo`).
    deferred: VecDeque<u8>,
}

impl std::fmt::Debug for LineDiscipline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LineDiscipline(in={}, flip={}, out={})",
            self.buf.len(),
            self.flip.len(),
            self.out.len()
        )
    }
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new(Termios2::pty_default())
    }
}

impl LineDiscipline {
    pub fn new(termios: Termios2) -> LineDiscipline {
        let mut ld = LineDiscipline {
            termios,
            special: [false; 256],
            flip: VecDeque::new(),
            buf: VecDeque::new(),
            canon_head: 0,
            lnext: false,
            erasing: false,
            out: VecDeque::new(),
            column: 0,
            canon_column: 0,
            stopped: false,
            tco_stopped: false,
            deferred: VecDeque::new(),
        };
        ld.build_char_map();
        ld
    }

    pub fn termios(&self) -> Termios2 {
        self.termios
    }

    fn icanon(&self) -> bool {
        self.termios.lflag(ICANON) && !self.termios.lflag(EXTPROC)
    }

    /// Which characters need special handling under the current settings
    /// (n_tty_set_termios); NUL never does, so a disabled control
    /// character matches nothing.
    fn build_char_map(&mut self) {
        let t = &self.termios;
        let mut m = [false; 256];
        if t.iflag(IGNCR) || t.iflag(ICRNL) {
            m[b'\r' as usize] = true;
        }
        if t.iflag(INLCR) {
            m[b'\n' as usize] = true;
        }
        if t.lflag(ICANON) {
            for i in [VERASE, VKILL, VEOF, VEOL] {
                m[t.cc(i) as usize] = true;
            }
            m[b'\n' as usize] = true;
            if t.lflag(IEXTEN) {
                for i in [VWERASE, VLNEXT, VEOL2] {
                    m[t.cc(i) as usize] = true;
                }
                if t.lflag(ECHO) {
                    m[t.cc(VREPRINT) as usize] = true;
                }
            }
        }
        if t.iflag(IXON) {
            m[t.cc(VSTART) as usize] = true;
            m[t.cc(VSTOP) as usize] = true;
        }
        if t.lflag(ISIG) {
            for i in [VINTR, VQUIT, VSUSP] {
                m[t.cc(i) as usize] = true;
            }
        }
        m[DISABLED_CHAR as usize] = false;
        self.special = m;
    }

    /// TCSETS and friends. The caller has applied any flush (TCSETSF).
    pub fn set_termios(&mut self, mut new: Termios2) -> Effects {
        let mut fx = Effects::default();
        // A pty's slave is always 8 bits, no parity, receiving (pty_set_termios).
        new.c_cflag = (new.c_cflag & !(CSIZE | PARENB)) | CS8 | CREAD;
        let old = std::mem::replace(&mut self.termios, new);
        if (old.c_lflag ^ new.c_lflag) & (ICANON | EXTPROC) != 0 {
            for cell in self.buf.iter_mut() {
                cell.delim = false;
            }
            if !new.lflag(ICANON) || self.buf.is_empty() {
                self.canon_head = 0;
            } else {
                // What was typed in raw mode becomes one line.
                if let Some(last) = self.buf.back_mut() {
                    last.delim = true;
                }
                self.canon_head = self.buf.len();
            }
            self.erasing = false;
            self.lnext = false;
        }
        self.build_char_map();
        if !new.iflag(IXON) && old.iflag(IXON) && !self.tco_stopped {
            self.start(&mut fx);
        }
        // Settings change what is readable and what may be processed.
        fx.input = true;
        fx.output_room = true;
        self.process(&mut fx);
        fx
    }

    /// Discard unread input (TCIFLUSH, TCSETSF); `received`: also the
    /// bytes received but not processed yet, as those flushes do (a
    /// signal character's flush keeps them).
    pub fn flush_input(&mut self, received: bool) -> Effects {
        let mut fx = Effects::default();
        self.reset_input();
        if received {
            self.flip.clear();
        }
        self.process(&mut fx);
        fx.input_room = true;
        fx
    }

    fn reset_input(&mut self) {
        self.buf.clear();
        self.canon_head = 0;
        self.lnext = false;
        self.erasing = false;
    }

    /// Discard output the master has not read (the master's TCIFLUSH).
    pub fn flush_output(&mut self) -> Effects {
        self.out.clear();
        self.deferred.clear();
        Effects {
            output_room: true,
            ..Default::default()
        }
    }

    /// FIONREAD on the slave: complete lines in canonical mode (without
    /// their EOF marks), everything otherwise.
    pub fn input_len(&self) -> usize {
        if self.icanon() {
            let head = self.canon_head.min(self.buf.len());
            self.buf
                .iter()
                .take(head)
                .filter(|c| !(c.delim && c.c == DISABLED_CHAR))
                .count()
        } else {
            self.buf.len()
        }
    }

    /// FIONREAD on the master.
    pub fn output_len(&self) -> usize {
        self.out.len()
    }

    /// Whether a slave read would find something: a complete line, or in
    /// raw mode at least `min` bytes (poll asks for VMIN when VTIME is 0).
    pub fn input_ready(&self, poll: bool) -> bool {
        if self.icanon() {
            return self.canon_head > 0;
        }
        let (vmin, vtime) = (self.termios.cc(VMIN), self.termios.cc(VTIME));
        let amt = if poll && vtime == 0 && vmin > 0 {
            usize::from(vmin)
        } else {
            1
        };
        self.buf.len() >= amt
    }

    /// Whether the master may write now.
    pub fn input_room(&self) -> bool {
        self.flip.len() < FLIP_LIMIT
    }

    /// Whether the slave may write now.
    pub fn output_room(&self) -> bool {
        !self.stopped && self.out.len() < OUTPUT_LIMIT
    }

    /// Stop output (the STOP character, TCOOFF).
    fn stop(&mut self) {
        self.stopped = true;
    }

    /// Restart output, sending the echoes made meanwhile.
    /// Only TCOON restarts output that TCOOFF stopped.
    fn start(&mut self, fx: &mut Effects) {
        if !self.stopped || self.tco_stopped {
            return;
        }
        self.stopped = false;
        self.commit_echoes(fx);
        fx.output_room = true;
    }

    /// TCXONC: `action` 0 (TCOOFF) stops output, 1 (TCOON) restarts it;
    /// 2 and 3 (TCIOFF, TCION) answer `Some(c)`: the STOP or START
    /// character to send to the other side, if it is not disabled.
    pub fn tcxonc(&mut self, action: u64, fx: &mut Effects) -> Result<Option<u8>, abi::Errno> {
        match action {
            0 => {
                if !self.tco_stopped {
                    self.stop();
                    self.tco_stopped = true;
                }
                Ok(None)
            }
            1 => {
                if self.tco_stopped {
                    self.tco_stopped = false;
                    self.start(fx);
                }
                Ok(None)
            }
            2 | 3 => {
                let c = self.termios.cc(if action == 2 { VSTOP } else { VSTART });
                Ok((c != DISABLED_CHAR).then_some(c))
            }
            _ => Err(abi::Errno::EINVAL),
        }
    }

    /// Bytes for the master that bypass output processing (a STOP or
    /// START character sent by TCXONC on the slave).
    pub fn send_raw_output(&mut self, c: u8, fx: &mut Effects) {
        self.out.push_back(c);
        fx.output = true;
    }
}
