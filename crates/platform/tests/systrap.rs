//! The systrap platform runs raw machine code, reports syscalls, faults and
//! traps, keeps registers (general, FP, fs base) exactly, survives a bad
//! stack pointer, and can be interrupted.

use memory::MemoryFile;
use platform::systrap::SystrapPlatform;
use platform::{Exit, FpState, Mapping, Platform, Prot, Regs};
use std::sync::Arc;

const CODE: u64 = 0x40_0000;

fn setup(
    code: &[u8],
) -> (
    Arc<MemoryFile>,
    Arc<SystrapPlatform>,
    Arc<dyn platform::AddressSpace>,
) {
    let mf = Arc::new(MemoryFile::new(1 << 32).unwrap());
    let p = SystrapPlatform::new(mf.clone()).unwrap();
    let frame = mf.allocate(4096).unwrap();
    mf.write(frame, code).unwrap();
    let aspace = p.new_address_space().unwrap();
    aspace
        .map(&[Mapping {
            addr: CODE,
            len: 4096,
            frame,
            prot: Prot(5),
        }])
        .unwrap();
    (mf, Arc::new(p), aspace)
}

#[test]
fn syscalls_are_reported_and_answered() {
    // mov eax, 39; syscall; mov edi, eax; mov eax, 60; syscall
    let code = [
        0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x89, 0xc7, 0xb8, 60, 0, 0, 0, 0x0f, 0x05,
    ];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    regs.rbx = 0x1234_5678_9abc_def0;
    regs.r15 = 15;
    let mut fp = FpState::initial();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Syscall), "{exit:?}");
    assert_eq!(regs.orig_rax, 39);
    assert_eq!(
        regs.rax as i64, -38,
        "rax is -ENOSYS, as under PTRACE_SYSEMU"
    );
    assert_eq!(regs.rip, CODE + 7);
    assert_eq!(regs.rbx, 0x1234_5678_9abc_def0);
    assert_eq!(regs.r15, 15);
    regs.rax = 4242;
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Syscall));
    assert_eq!(regs.orig_rax, 60);
    assert_eq!(regs.rdi, 4242);
    ctx.release();
}

#[test]
fn faults_carry_the_address() {
    // mov rax, [0x1000]  (48 8b 04 25 00 10 00 00)
    let code = [0x48, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00];
    let (mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    let mut fp = FpState::initial();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    match exit {
        Exit::Fault(si) => {
            assert_eq!(si.signo, libc::SIGSEGV);
            assert_eq!(si.addr(), 0x1000);
            assert_eq!(regs.rip, CODE);
        }
        e => panic!("expected a fault, got {e:?}"),
    }
    let data = mf.allocate(4096).unwrap();
    mf.write(data, &0x5000u64.to_le_bytes()).unwrap();
    aspace
        .map(&[Mapping {
            addr: 0x1000,
            len: 4096,
            frame: data,
            prot: Prot::READ,
        }])
        .unwrap();
    // The load succeeds now and runs into zero bytes, `add [rax], al`,
    // which faults at 0x5000.
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    match exit {
        Exit::Fault(si) => assert_eq!(si.addr(), 0x5000),
        e => panic!("expected a fault, got {e:?}"),
    }
    assert_eq!(regs.rax, 0x5000);
    assert_eq!(regs.rip, CODE + 8);
    // Write-protect and unmap: the fault moves accordingly.
    aspace.protect(&[(0x1000, 4096, Prot::NONE)]).unwrap();
    regs.rip = CODE;
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(
        matches!(exit, Exit::Fault(ref si) if si.addr() == 0x1000),
        "{exit:?}"
    );
    aspace.unmap(&[(0x1000, 4096)]).unwrap();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(
        matches!(exit, Exit::Fault(ref si) if si.addr() == 0x1000 && si.code == 1),
        "{exit:?}"
    );
}

#[test]
fn traps_become_signals() {
    // ud2; int3
    let code = [0x0f, 0x0b, 0xcc];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    let mut fp = FpState::initial();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(
        matches!(exit, Exit::Signal(ref si) if si.signo == libc::SIGILL),
        "{exit:?}"
    );
    assert_eq!(regs.rip, CODE);
    regs.rip = CODE + 2;
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(
        matches!(exit, Exit::Signal(ref si) if si.signo == libc::SIGTRAP),
        "{exit:?}"
    );
    assert_eq!(regs.rip, CODE + 3);
}

#[test]
fn fp_state_round_trips() {
    // movq xmm0, rax ; movq rbx, xmm1 ; syscall ; movq rdx, xmm0 ; syscall
    let code = [
        0x66, 0x48, 0x0f, 0x6e, 0xc0, 0x66, 0x48, 0x0f, 0x7e, 0xcb, 0x0f, 0x05, 0x66, 0x48, 0x0f,
        0x7e, 0xc2, 0x0f, 0x05,
    ];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    regs.rax = 0x1122334455667788;
    let mut fp = FpState::initial();
    // xmm1 (offset 176 of the FXSAVE area) comes from the Sentry's state.
    let mut bytes = fp.bytes().to_vec();
    bytes[176..184].copy_from_slice(&0x0badc0ffeeu64.to_le_bytes());
    fp.set_bytes(&bytes);
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert_eq!(regs.rbx, 0x0badc0ffee);
    ctx.sync_fp(&mut fp).unwrap();
    // xmm0 lives at offset 160 of the FXSAVE area.
    assert_eq!(&fp.bytes()[160..168], &0x1122334455667788u64.to_le_bytes());
    // Change xmm0 in the Sentry: the application sees the new value.
    let mut bytes = fp.bytes().to_vec();
    bytes[160..168].copy_from_slice(&77u64.to_le_bytes());
    fp.set_bytes(&bytes);
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert_eq!(regs.rdx, 77);
}

#[test]
fn fs_base_is_loaded() {
    // mov rbx, fs:[0] ; syscall
    let code = [0x64, 0x48, 0x8b, 0x1c, 0x25, 0, 0, 0, 0, 0x0f, 0x05];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    regs.fs_base = CODE;
    let mut fp = FpState::initial();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Syscall), "{exit:?}");
    assert_eq!(regs.rbx.to_le_bytes(), code[..8]);
    assert_eq!(regs.fs_base, CODE);
    // A new base takes effect on the next run.
    regs.fs_base = CODE + 1;
    regs.rip = CODE;
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert_eq!(regs.rbx.to_le_bytes(), code[1..9]);
}

#[test]
fn a_bad_stack_pointer_still_traps() {
    // syscall ; push rax
    let code = [0x0f, 0x05, 0x50];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0xdead_0000);
    let mut fp = FpState::initial();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Syscall), "{exit:?}");
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(
        matches!(exit, Exit::Fault(ref si) if si.addr() == 0xdead_0000 - 8),
        "{exit:?}"
    );
    assert_eq!(regs.rsp, 0xdead_0000);
}

#[test]
fn int80_is_trapped() {
    // mov eax, 20 ; int 0x80
    let code = [0xb8, 20, 0, 0, 0, 0xcd, 0x80];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    let mut fp = FpState::initial();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Syscall), "{exit:?}");
    assert_eq!(regs.orig_rax, 20);
    assert_eq!(regs.rip, CODE + 7);
}

#[test]
fn interrupt_stops_a_busy_loop() {
    // jmp .
    let code = [0xeb, 0xfe];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    let mut fp = FpState::initial();
    let intr = ctx.interrupter();
    let h = std::thread::spawn(move || {
        for _ in 0..3 {
            std::thread::sleep(std::time::Duration::from_millis(30));
            intr.interrupt();
        }
    });
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Interrupted), "{exit:?}");
    assert_eq!(regs.rip, CODE);
    // Interrupts keep working (or arrive late, which is harmless).
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Interrupted), "{exit:?}");
    h.join().unwrap();
}

#[test]
fn threads_share_an_address_space() {
    // syscall; jmp back
    let code = [0x0f, 0x05, 0xeb, 0xfc];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    let mut fp = FpState::initial();
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    for round in 0..3u64 {
        aspace.prepare_thread().unwrap();
        let a2 = aspace.clone();
        let p2 = p.clone();
        let h = std::thread::spawn(move || {
            let mut ctx = p2.new_context();
            let mut regs = Regs::initial(CODE, 0);
            regs.rax = 7 + round;
            regs.fs_base = 0x1000 * round;
            let mut fp = FpState::initial();
            ctx.switch(&a2, &mut regs, &mut fp).unwrap();
            assert_eq!(regs.orig_rax, 7 + round);
            assert_eq!(regs.fs_base, 0x1000 * round);
            ctx.release();
        });
        h.join().unwrap();
    }
    // The first thread still works after the others left.
    regs.rax = 9;
    regs.rip = CODE;
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert_eq!(regs.orig_rax, 9);
}

#[test]
fn many_round_trips() {
    // syscall; jmp back
    let code = [0x0f, 0x05, 0xeb, 0xfc];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    let mut fp = FpState::initial();
    let n = 20_000u64;
    let start = std::time::Instant::now();
    for i in 0..n {
        // (Not 335 or 336: uretprobe and uprobe bypass seccomp on new
        // kernels and raise SIGILL when not called from their trampoline,
        // as they do natively.)
        let i = i % 300;
        regs.rax = i;
        let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
        assert_eq!(regs.orig_rax, i, "{exit:?}");
    }
    eprintln!("systrap round trip: {:?}", start.elapsed() / n as u32);
}
