//! Floating point and extended (XSAVE) register state of a task.
//!
//! The state is kept in the kernel's XSAVE standard (non-compacted) layout,
//! the same bytes `PTRACE_GETREGSET(NT_X86_XSTATE)` exchanges and the layout
//! a signal frame carries. Platforms keep the live copy where the application
//! runs and only move it when the Sentry asks (`Context::sync_fp`) or when it
//! was changed here (`dirty`).

/// Offset of MXCSR in the legacy FXSAVE area.
const MXCSR_OFFSET: usize = 24;
/// Offset of XSTATE_BV in the XSAVE header.
const XSTATE_BV_OFFSET: usize = 512;

#[derive(Clone, Debug)]
pub struct FpState {
    data: Vec<u8>,
    /// `data` is the application's latest state.
    pub(crate) fresh: bool,
    /// `data` was changed by the Sentry and must be loaded before running.
    pub(crate) dirty: bool,
}

/// Size of the XSAVE area for the features this CPU enables (CPUID 0xD.0:EBX).
pub fn xsave_size() -> usize {
    // Leaf 0xD is present on every CPU with XSAVE, which the ptrace
    // NT_X86_XSTATE regset requires.
    let r = core::arch::x86_64::__cpuid_count(0xd, 0);
    (r.ebx as usize).max(576)
}

impl FpState {
    /// The state a freshly exec'd program starts with: x87 control word
    /// 0x37f, MXCSR 0x1f80, everything else zero.
    pub fn initial() -> FpState {
        let mut data = vec![0u8; xsave_size()];
        data[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
        data[MXCSR_OFFSET..MXCSR_OFFSET + 4].copy_from_slice(&0x1f80u32.to_le_bytes());
        // MXCSR_MASK as the CPU reports it is filled by the kernel on load.
        data[XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8].copy_from_slice(&3u64.to_le_bytes());
        FpState {
            data,
            fresh: true,
            dirty: true,
        }
    }

    /// The raw XSAVE bytes; valid only after `Context::sync_fp`.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }

    /// Replace the state (signal return, ptrace); loaded on the next switch.
    pub fn set_bytes(&mut self, b: &[u8]) {
        let n = b.len().min(self.data.len());
        self.data[..n].copy_from_slice(&b[..n]);
        self.fresh = true;
        self.dirty = true;
    }

    pub(crate) fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// A copy for a new task (fork/clone): it must be loaded into the new
    /// task's execution slot before it runs.
    pub fn fork_copy(&self) -> FpState {
        FpState {
            data: self.data.clone(),
            fresh: true,
            dirty: true,
        }
    }
}
