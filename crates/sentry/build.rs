//! Builds the vDSO image (`vdso/`) with gcc; `src/kernel/vdso.rs` embeds
//! it with `include_bytes!`. The image is a tiny shared object that must be
//! position-independent with no dynamic relocations (the Sentry maps it as
//! it is); the unit tests of `kernel::vdso` check that.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    )
    .join("vdso");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("vdso.so");
    for f in ["vdso.c", "vvar.h", "vdso.lds", "vdso.map"] {
        println!("cargo:rerun-if-changed=vdso/{f}");
    }
    println!("cargo:rerun-if-env-changed=RVISOR_VDSO_CC");
    let cc = std::env::var("RVISOR_VDSO_CC").unwrap_or_else(|_| "gcc".to_string());
    let lds = dir.join("vdso.lds");
    let map = dir.join("vdso.map");
    let mut cmd = Command::new(&cc);
    cmd.args([
        "-O2",
        "-fPIC",
        "-shared",
        "-nostdlib",
        "-ffreestanding",
        "-fno-builtin",
        "-fno-stack-protector",
        "-fcf-protection=none",
        "-fno-plt",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-s",
    ])
    .arg(format!(
        "-Wl,-soname=linux-vdso.so.1,--hash-style=both,--eh-frame-hdr,-Bsymbolic,\
         -z,max-page-size=4096,-z,noexecstack,--no-undefined,--build-id=none,-T,{},--version-script={}",
        lds.display(),
        map.display()
    ))
    .arg("-o")
    .arg(&out)
    .arg(dir.join("vdso.c"));
    match cmd.output() {
        Err(e) => panic!(
            "\n\nbuilding the vDSO needs a C compiler: could not run `{cc}`: {e}\n\
             Install gcc (apt-get install gcc) or name another compiler in RVISOR_VDSO_CC.\n\n"
        ),
        Ok(o) if !o.status.success() => panic!(
            "\n\nbuilding the vDSO with `{cc}` failed ({}):\n{}\n{}\n",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
        Ok(_) => {}
    }
}
