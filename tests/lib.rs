//! The differential test harness: every case runs natively (the host Linux kernel is the
//! ground truth) and inside the sandbox (`runsc do`), and stdout plus exit status must match.
//!
//! - [`config`]: what the environment asks for (runsc path, platform, native-only mode).
//! - [`process`]: run one command with a timeout and collect its output and status.
//! - [`compile`]: build the C programs under `programs/` with `gcc -static`.
//! - [`case`]: one comparison (native vs sandbox, or native vs native) and its report.
//! - [`diff`]: a small line diff for failure reports.
//! - [`catalog`]: the list of cases (C programs, busybox applets, escape checks).
//! - [`fixtures`]: files the harness creates for cases to read.
//!
//! Running: `tests/run` (everything), or `cargo test --release -p rvisor-tests -- FILTER`.
//! `RVISOR_NATIVE_ONLY=1` compares two native runs instead (checks the cases are
//! deterministic without a sandbox); `RUNSC`, `RVISOR_PLATFORM`, `RVISOR_RUNSC_FLAGS` and
//! `RVISOR_TEST_TIMEOUT` are described in [`config`].
//!
//! Adding a case: drop `programs/NAME.c` (it becomes `prog::NAME`; include `common.h`, print
//! only deterministic text, work under `tmpdir_enter()` if it touches files, exit 0), or add
//! a line to [`catalog::busybox_cases`].

pub mod case;
pub mod catalog;
pub mod compile;
pub mod config;
pub mod diff;
pub mod fixtures;
pub mod hostcmds;
pub mod process;
