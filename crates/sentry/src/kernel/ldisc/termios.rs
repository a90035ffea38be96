//! Terminal settings as the kernel keeps them: the flag bits and control
//! characters of `struct termios`, the speeds `struct termios2` adds, and
//! the settings a new pseudo-terminal starts with.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

// c_iflag
pub const IGNBRK: u32 = 0o1;
pub const BRKINT: u32 = 0o2;
pub const PARMRK: u32 = 0o10;
pub const ISTRIP: u32 = 0o40;
pub const INLCR: u32 = 0o100;
pub const IGNCR: u32 = 0o200;
pub const ICRNL: u32 = 0o400;
pub const IUCLC: u32 = 0o1000;
pub const IXON: u32 = 0o2000;
pub const IXANY: u32 = 0o4000;
pub const IMAXBEL: u32 = 0o20000;
pub const IUTF8: u32 = 0o40000;

// c_oflag
pub const OPOST: u32 = 0o1;
pub const OLCUC: u32 = 0o2;
pub const ONLCR: u32 = 0o4;
pub const OCRNL: u32 = 0o10;
pub const ONOCR: u32 = 0o20;
pub const ONLRET: u32 = 0o40;
pub const TABDLY: u32 = 0o14000;
/// TAB3: expand tabs to spaces.
pub const XTABS: u32 = 0o14000;

// c_cflag
pub const CBAUD: u32 = 0o10017;
pub const BOTHER: u32 = 0o10000;
pub const B38400: u32 = 0o17;
pub const CSIZE: u32 = 0o60;
pub const CS8: u32 = 0o60;
pub const CREAD: u32 = 0o200;
pub const PARENB: u32 = 0o400;
pub const CIBAUD: u32 = 0o2003600000;
/// Shift from the CBAUD bits to the CIBAUD bits.
const IBSHIFT: u32 = 16;

// c_lflag
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHONL: u32 = 0o100;
pub const NOFLSH: u32 = 0o200;
pub const TOSTOP: u32 = 0o400;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOPRT: u32 = 0o2000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;
pub const EXTPROC: u32 = 0o200000;

// c_cc indices
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VREPRINT: usize = 12;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const VEOL2: usize = 16;

/// A control character set to this is disabled (_POSIX_VDISABLE).
pub const DISABLED_CHAR: u8 = 0;

/// Linux's INIT_C_CC: ^C ^\ DEL ^U ^D, VTIME 0, VMIN 1, ^Q ^S ^Z, ^R ^O ^W ^V.
pub const INIT_C_CC: [u8; 19] = [
    0o3, 0o34, 0o177, 0o25, 0o4, 0, 1, 0, 0o21, 0o23, 0o32, 0, 0o22, 0o17, 0o27, 0o26, 0, 0, 0,
];

/// `struct termios2` (TCGETS2): `struct termios` and the two speeds.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Termios2 {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; 19],
    pub c_ispeed: u32,
    pub c_ospeed: u32,
}

/// The speeds of the CBAUD codes B0..B38400 and B57600..B4000000.
const BAUD_TABLE: [u32; 31] = [
    0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000,
    3000000, 3500000, 4000000,
];

/// The speed a CBAUD code stands for (0 for BOTHER and unknown codes).
fn baud_of(code: u32) -> u32 {
    let i = if code & BOTHER != 0 {
        (code & !BOTHER) as usize + 15
    } else {
        code as usize
    };
    if code == BOTHER {
        return 0;
    }
    BAUD_TABLE.get(i).copied().unwrap_or(0)
}

impl Termios2 {
    /// What a new pseudo-terminal slave starts with (Linux's
    /// tty_std_termios with the pts driver's c_cflag).
    pub fn pty_default() -> Termios2 {
        Termios2 {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            c_cc: INIT_C_CC,
            c_ispeed: 38400,
            c_ospeed: 38400,
        }
    }

    /// The `struct termios` part (TCGETS).
    pub fn old(&self) -> abi::Termios {
        abi::Termios {
            c_iflag: self.c_iflag,
            c_oflag: self.c_oflag,
            c_cflag: self.c_cflag,
            c_lflag: self.c_lflag,
            c_line: self.c_line,
            c_cc: self.c_cc,
        }
    }

    /// Settings from a `struct termios` (TCSETS): the speeds follow the
    /// CBAUD and CIBAUD codes, as Linux derives them.
    pub fn from_old(t: &abi::Termios) -> Termios2 {
        let mut n = Termios2 {
            c_iflag: t.c_iflag,
            c_oflag: t.c_oflag,
            c_cflag: t.c_cflag,
            c_lflag: t.c_lflag,
            c_line: t.c_line,
            c_cc: t.c_cc,
            c_ispeed: 0,
            c_ospeed: 0,
        };
        n.derive_speeds(0, 0);
        n
    }

    /// Fill the speeds from the baud codes; BOTHER codes keep `ispeed`/`ospeed`.
    pub fn derive_speeds(&mut self, ispeed: u32, ospeed: u32) {
        let ocode = self.c_cflag & CBAUD;
        self.c_ospeed = if ocode == BOTHER {
            ospeed
        } else {
            baud_of(ocode)
        };
        let icode = (self.c_cflag & CIBAUD) >> IBSHIFT;
        self.c_ispeed = match icode {
            0 => self.c_ospeed,
            BOTHER => ispeed,
            c => baud_of(c),
        };
    }

    pub fn iflag(&self, f: u32) -> bool {
        self.c_iflag & f != 0
    }
    pub fn oflag(&self, f: u32) -> bool {
        self.c_oflag & f != 0
    }
    pub fn lflag(&self, f: u32) -> bool {
        self.c_lflag & f != 0
    }
    pub fn cc(&self, i: usize) -> u8 {
        self.c_cc[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_and_speeds() {
        assert_eq!(std::mem::size_of::<Termios2>(), 44);
        let t = Termios2::pty_default();
        assert_eq!((t.c_ispeed, t.c_ospeed), (38400, 38400));
        let mut old = t.old();
        old.c_cflag = (old.c_cflag & !CBAUD) | 0o15; // B9600
        let n = Termios2::from_old(&old);
        assert_eq!((n.c_ispeed, n.c_ospeed), (9600, 9600));
        old.c_cflag = (old.c_cflag & !CBAUD) | BOTHER | 2; // B115200
        assert_eq!(Termios2::from_old(&old).c_ospeed, 115200);
    }
}
