//! The line discipline against what Linux's n_tty does with the same bytes
//! (each expectation was checked on a Linux pty).

use super::termios::*;
use super::*;
use abi::signal::{SIGINT, SIGQUIT, SIGTSTP};

fn typed(ld: &mut LineDiscipline, s: &[u8]) -> Effects {
    let (n, fx) = ld.receive(s);
    assert_eq!(n, s.len());
    fx
}

fn output(ld: &mut LineDiscipline) -> Vec<u8> {
    let mut v = Vec::new();
    ld.read_output(usize::MAX, &mut |b| {
        v.extend_from_slice(b);
        Ok(b.len())
    })
    .unwrap();
    v
}

fn read(ld: &mut LineDiscipline, max: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let mut put = |b: &[u8]| {
        v.extend_from_slice(b);
        Ok(b.len())
    };
    if ld.canonical() {
        ld.read_canon(max, &mut put).unwrap();
    } else {
        ld.read_raw(max, &mut put).unwrap();
    }
    v
}

fn set(ld: &mut LineDiscipline, f: impl FnOnce(&mut Termios2)) -> Effects {
    let mut t = ld.termios();
    f(&mut t);
    ld.set_termios(t)
}

#[test]
fn canonical_line_with_echo() {
    let mut ld = LineDiscipline::default();
    let fx = typed(&mut ld, b"ab");
    assert!(!fx.input);
    assert!(!ld.input_ready(false));
    assert_eq!(ld.input_len(), 0);
    let fx = typed(&mut ld, b"\r");
    assert!(fx.input);
    assert_eq!(ld.input_len(), 3);
    assert_eq!(read(&mut ld, 100), b"ab\n");
    assert_eq!(output(&mut ld), b"ab\r\n");
}

#[test]
fn erase_kill_werase() {
    let mut ld = LineDiscipline::default();
    typed(&mut ld, b"abc\x7f\x7fd\n");
    assert_eq!(read(&mut ld, 100), b"ad\n");
    assert_eq!(output(&mut ld), b"abc\x08 \x08\x08 \x08d\r\n");

    typed(&mut ld, b"abc\x15x\n");
    assert_eq!(read(&mut ld, 100), b"x\n");
    assert_eq!(output(&mut ld), b"abc\x08 \x08\x08 \x08\x08 \x08x\r\n");

    typed(&mut ld, b"foo bar\x17baz\n");
    assert_eq!(read(&mut ld, 100), b"foo baz\n");
    output(&mut ld);

    // Erasing at the start of a line does nothing.
    typed(&mut ld, b"\x7f\x15z\n");
    assert_eq!(read(&mut ld, 100), b"z\n");
    assert_eq!(output(&mut ld), b"z\r\n");

    // Without ECHOE the erase character itself is echoed (as ^? under ECHOCTL).
    set(&mut ld, |t| t.c_lflag &= !ECHOE);
    typed(&mut ld, b"ab\x7f\n");
    assert_eq!(read(&mut ld, 100), b"a\n");
    assert_eq!(output(&mut ld), b"ab^?\r\n");
    // ... and kill echoes the kill character and a newline (ECHOK).
    typed(&mut ld, b"ab\x15c\n");
    assert_eq!(read(&mut ld, 100), b"c\n");
    assert_eq!(output(&mut ld), b"ab^U\r\nc\r\n");
}

#[test]
fn erase_tab_and_controls() {
    let mut ld = LineDiscipline::default();
    typed(&mut ld, b"a\t\x7f");
    assert_eq!(output(&mut ld), b"a\t\x08\x08\x08\x08\x08\x08\x08");
    // A control character echoed as ^X takes two columns to erase.
    typed(&mut ld, b"\x01\x7f\n");
    assert_eq!(output(&mut ld), b"^A\x08 \x08\x08 \x08\r\n");
    assert_eq!(read(&mut ld, 100), b"a\n");
}

#[test]
fn eof_and_eol() {
    let mut ld = LineDiscipline::default();
    typed(&mut ld, b"ab\x04");
    assert_eq!(ld.input_len(), 2);
    assert_eq!(read(&mut ld, 100), b"ab");
    typed(&mut ld, b"\x04");
    assert!(ld.input_ready(false));
    assert_eq!(read(&mut ld, 100), b"");
    assert!(!ld.input_ready(false));
    // EOF is not echoed.
    assert_eq!(output(&mut ld), b"ab");
    // EOL ends a line and is returned with it.
    set(&mut ld, |t| t.c_cc[VEOL] = b';');
    typed(&mut ld, b"x;y");
    assert_eq!(read(&mut ld, 100), b"x;");
    assert!(!ld.input_ready(false));
    // A line longer than the read comes in parts.
    typed(&mut ld, b"z\n");
    assert_eq!(read(&mut ld, 1), b"y");
    assert_eq!(read(&mut ld, 1), b"z");
    assert_eq!(read(&mut ld, 1), b"\n");
}

#[test]
fn signals() {
    let mut ld = LineDiscipline::default();
    typed(&mut ld, b"partial");
    output(&mut ld);
    let fx = typed(&mut ld, b"\x03");
    assert_eq!(fx.signals, vec![SIGINT]);
    assert_eq!(output(&mut ld), b"^C");
    // The line was flushed.
    typed(&mut ld, b"\n");
    assert_eq!(read(&mut ld, 100), b"\n");
    output(&mut ld);
    assert_eq!(typed(&mut ld, b"\x1c\x1a").signals, vec![SIGQUIT, SIGTSTP]);
    // The second one's flush took the first one's echo, still unsent.
    assert_eq!(output(&mut ld), b"^Z");
    // Echoes of the same chunk that were not sent yet are flushed too.
    typed(&mut ld, b"partial\x03\n");
    assert_eq!(output(&mut ld), b"^C\r\n");
    assert_eq!(read(&mut ld, 100), b"\n");
    // NOFLSH keeps the input; -ECHOCTL echoes the character itself.
    set(&mut ld, |t| t.c_lflag = (t.c_lflag | NOFLSH) & !ECHOCTL);
    typed(&mut ld, b"k\x03\n");
    assert_eq!(read(&mut ld, 100), b"k\n");
    assert_eq!(output(&mut ld), b"k\x03\r\n");
    // Without ISIG they are plain characters.
    set(&mut ld, |t| t.c_lflag &= !ISIG);
    assert!(typed(&mut ld, b"\x03\n").signals.is_empty());
    assert_eq!(read(&mut ld, 100), b"\x03\n");
}

#[test]
fn lnext_quotes() {
    let mut ld = LineDiscipline::default();
    let fx = typed(&mut ld, b"\x16\x03\x16\x7f\n");
    assert!(fx.signals.is_empty());
    assert_eq!(read(&mut ld, 100), b"\x03\x7f\n");
    assert_eq!(output(&mut ld), b"^\x08^C^\x08^?\r\n");
}

#[test]
fn input_mapping() {
    let mut ld = LineDiscipline::default();
    set(&mut ld, |t| t.c_lflag &= !ECHO);
    typed(&mut ld, b"a\r");
    assert_eq!(read(&mut ld, 100), b"a\n");
    set(&mut ld, |t| t.c_iflag = (t.c_iflag & !ICRNL) | IGNCR);
    typed(&mut ld, b"b\r\n");
    assert_eq!(read(&mut ld, 100), b"b\n");
    set(&mut ld, |t| t.c_iflag = (t.c_iflag & !IGNCR) | INLCR);
    set(&mut ld, |t| t.c_lflag &= !ICANON);
    typed(&mut ld, b"c\n");
    assert_eq!(read(&mut ld, 100), b"c\r");
    assert!(output(&mut ld).is_empty());
}

#[test]
fn raw_mode() {
    let mut ld = LineDiscipline::default();
    typed(&mut ld, b"abc");
    assert!(!ld.input_ready(false));
    // Switching to raw makes the partial line readable.
    set(&mut ld, |t| {
        t.c_lflag &= !(ICANON | ECHO);
        t.c_cc[VMIN] = 4;
        t.c_cc[VTIME] = 0;
    });
    assert!(ld.input_ready(false));
    // poll waits for VMIN bytes when VTIME is 0.
    assert!(!ld.input_ready(true));
    typed(&mut ld, b"d");
    assert!(ld.input_ready(true));
    assert_eq!(read(&mut ld, 2), b"ab");
    assert_eq!(read(&mut ld, 100), b"cd");
    // Back to canonical: what is pending becomes one line.
    typed(&mut ld, b"xy");
    set(&mut ld, |t| t.c_lflag |= ICANON);
    assert!(ld.input_ready(false));
    assert_eq!(read(&mut ld, 100), b"xy");
    // A canonical EOF mark read in raw mode is a NUL byte.
    typed(&mut ld, b"q\x04");
    set(&mut ld, |t| t.c_lflag &= !ICANON);
    assert_eq!(read(&mut ld, 100), b"q\0");
}

#[test]
fn raw_echo_of_newline_is_a_control() {
    let mut ld = LineDiscipline::default();
    set(&mut ld, |t| t.c_lflag &= !ICANON);
    typed(&mut ld, b"a\n\r");
    assert_eq!(output(&mut ld), b"a^J\r\n");
    assert_eq!(read(&mut ld, 100), b"a\n\n");
}

#[test]
fn output_processing() {
    let mut ld = LineDiscipline::default();
    ld.write(b"a\nb\tc");
    assert_eq!(output(&mut ld), b"a\r\nb\tc");
    set(&mut ld, |t| t.c_oflag |= XTABS | OLCUC);
    ld.write(b"\nab\tc");
    assert_eq!(output(&mut ld), b"\r\nAB      C");
    // OCRNL does not reset the column (ONLRET would).
    set(&mut ld, |t| t.c_oflag = OPOST | OCRNL);
    ld.write(b"\rx\r");
    assert_eq!(output(&mut ld), b"\nx\n");
    let mut ld = LineDiscipline::default();
    set(&mut ld, |t| t.c_oflag = OPOST | ONOCR);
    ld.write(b"\rx\r\r");
    assert_eq!(output(&mut ld), b"x\r");
    set(&mut ld, |t| t.c_oflag = ONLCR);
    ld.write(b"a\n");
    assert_eq!(output(&mut ld), b"a\n");
}

#[test]
fn long_canonical_line() {
    let mut ld = LineDiscipline::default();
    set(&mut ld, |t| t.c_lflag &= !ECHO);
    let long = vec![b'a'; 5000];
    let (n, _) = ld.receive(&long);
    assert_eq!(n, 5000);
    typed(&mut ld, b"\n");
    let line = read(&mut ld, 10000);
    assert_eq!(line.len(), N_TTY_BUF_SIZE);
    assert_eq!(line[N_TTY_BUF_SIZE - 1], b'\n');
}

#[test]
fn raw_buffer_limits() {
    let mut ld = LineDiscipline::default();
    set(&mut ld, |t| t.c_lflag &= !(ICANON | ECHO));
    let big = vec![b'x'; 20000];
    let mut n = 0;
    loop {
        let (k, _) = ld.receive(&big);
        if k == 0 {
            break;
        }
        n += k;
    }
    assert_eq!(n, N_TTY_BUF_SIZE - 1 + FLIP_LIMIT);
    assert_eq!(ld.input_len(), N_TTY_BUF_SIZE - 1);
    assert_eq!(ld.receive_room(), 0);
    let fx = ld.read_raw(100, &mut |b| Ok(b.len())).unwrap().1;
    assert!(fx.input_room);
    assert_eq!(ld.input_len(), N_TTY_BUF_SIZE - 1);
    assert_eq!(ld.receive_room(), 100);
}

#[test]
fn flow_control() {
    let mut ld = LineDiscipline::default();
    set(&mut ld, |t| t.c_lflag &= !ICANON);
    typed(&mut ld, b"\x13");
    assert_eq!(ld.write_room(), 0);
    assert!(!ld.output_room());
    // Echoes wait too.
    typed(&mut ld, b"a");
    assert!(output(&mut ld).is_empty());
    let fx = typed(&mut ld, b"\x11");
    assert!(fx.output_room);
    assert_eq!(output(&mut ld), b"a");
    assert!(ld.write_room() > 0);
    // TCOOFF is only undone by TCOON.
    let mut fx = Effects::default();
    ld.tcxonc(0, &mut fx).unwrap();
    typed(&mut ld, b"\x11");
    assert_eq!(ld.write_room(), 0);
    ld.tcxonc(1, &mut fx).unwrap();
    assert!(ld.write_room() > 0);
    assert_eq!(ld.tcxonc(2, &mut fx), Ok(Some(0o23)));
    assert_eq!(ld.tcxonc(9, &mut fx), Err(abi::Errno::EINVAL));
    // Start and stop characters are not input.
    assert_eq!(read(&mut ld, 100), b"a");
}

#[test]
fn reprint_and_echoprt() {
    let mut ld = LineDiscipline::default();
    typed(&mut ld, b"ab\x12");
    assert_eq!(output(&mut ld), b"ab^R\r\nab");
    set(&mut ld, |t| t.c_lflag |= ECHOPRT);
    typed(&mut ld, b"\x7f\x7fc\n");
    assert_eq!(output(&mut ld), b"\\ba/c\r\n");
    assert_eq!(read(&mut ld, 100), b"c\n");
}

#[test]
fn flushes() {
    let mut ld = LineDiscipline::default();
    typed(&mut ld, b"one\ntwo");
    ld.write(b"out");
    ld.flush_input(true);
    assert_eq!(ld.input_len(), 0);
    typed(&mut ld, b"\n");
    assert_eq!(read(&mut ld, 100), b"\n");
    ld.flush_output();
    assert_eq!(ld.output_len(), 0);
}

#[test]
fn cflag_is_forced_to_cs8() {
    let mut ld = LineDiscipline::default();
    set(&mut ld, |t| {
        t.c_cflag = (t.c_cflag & !CSIZE & !CREAD) | PARENB
    });
    let t = ld.termios();
    assert_eq!(t.c_cflag & (CSIZE | CREAD | PARENB), CS8 | CREAD);
}
