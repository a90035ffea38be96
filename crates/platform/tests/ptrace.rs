//! The ptrace platform runs raw machine code, reports syscalls and faults,
//! and keeps registers exactly.

use memory::MemoryFile;
use platform::ptrace::PtracePlatform;
use platform::{Exit, FpState, Mapping, Platform, Prot, Regs};

const CODE: u64 = 0x40_0000;

fn setup(
    code: &[u8],
) -> (
    MemoryFile,
    PtracePlatform,
    std::sync::Arc<dyn platform::AddressSpace>,
) {
    let mf = MemoryFile::new(1 << 32).unwrap();
    let p = PtracePlatform::new(mf.fd()).unwrap();
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
    (mf, p, aspace)
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
    let mut fp = FpState::initial();
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Syscall), "{exit:?}");
    assert_eq!(regs.orig_rax, 39);
    assert_eq!(regs.rip, CODE + 7);
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
    // Map the page and retry: the load now succeeds and runs into the next
    // (zero) bytes, `add [rax], al`, which faults at address 0x1234 + ...
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
    let exit = ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert!(matches!(exit, Exit::Fault(_)));
    assert_eq!(regs.rax, 0x5000);
    assert_eq!(regs.rip, CODE + 8);
}

#[test]
fn fp_state_round_trips() {
    // movq xmm0, rax ; movq rbx, xmm0 ; syscall
    let code = [
        0x66, 0x48, 0x0f, 0x6e, 0xc0, 0x66, 0x48, 0x0f, 0x7e, 0xc3, 0x0f, 0x05,
    ];
    let (_mf, p, aspace) = setup(&code);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    regs.rax = 0x1122334455667788;
    let mut fp = FpState::initial();
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert_eq!(regs.rbx, 0x1122334455667788);
    ctx.sync_fp(&mut fp).unwrap();
    // xmm0 lives at offset 160 of the FXSAVE area.
    assert_eq!(&fp.bytes()[160..168], &0x1122334455667788u64.to_le_bytes());
}

#[test]
fn threads_share_an_address_space() {
    // syscall; jmp back
    let code = [0x0f, 0x05, 0xeb, 0xfc];
    let (_mf, p, aspace) = setup(&code);
    let p = std::sync::Arc::new(p);
    let mut ctx = p.new_context();
    let mut regs = Regs::initial(CODE, 0);
    let mut fp = FpState::initial();
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    aspace.prepare_thread().unwrap();
    let a2 = aspace.clone();
    let p2 = p.clone();
    let h = std::thread::spawn(move || {
        let mut ctx = p2.new_context();
        let mut regs = Regs::initial(CODE, 0);
        regs.rax = 7;
        let mut fp = FpState::initial();
        ctx.switch(&a2, &mut regs, &mut fp).unwrap();
        assert_eq!(regs.orig_rax, 7);
        ctx.release();
    });
    h.join().unwrap();
    // The first thread still works after the second left.
    regs.rax = 9;
    regs.rip = CODE;
    ctx.switch(&aspace, &mut regs, &mut fp).unwrap();
    assert_eq!(regs.orig_rax, 9);
}
