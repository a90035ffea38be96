//! Host programs compared natively and under the sandbox: the dynamic
//! binaries, shells and interpreters the process issue names.

use crate::case::{Case, Program};
use crate::config::Config;
use std::path::PathBuf;

fn host(name: &str, prog: &str, args: &[&str]) -> Case {
    Case::new(
        format!("host::{name}"),
        Program::Host(PathBuf::from(prog)),
        args,
    )
}

fn which(prog: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| PathBuf::from(d).join(prog))
        .find(|p| p.is_file())
}

/// Cases for host commands; those whose program is missing are left out.
pub fn host_cases(cfg: &Config) -> Vec<Case> {
    let scripts = cfg
        .programs_dir
        .parent()
        .map(|p| p.join("scripts"))
        .unwrap_or_default();
    let script = |n: &str| scripts.join(n).display().to_string();
    let mut cases = vec![
        host("ls-la-etc", "/bin/ls", &["-la", "/etc"]),
        // `_` is set by whoever launches the program (a shell, or runsc do acting as one).
        host("env", "/usr/bin/env", &["-u", "_"]),
        host("bash-loop-pipeline", "/bin/bash", &["-c", "for i in $(seq 50); do echo $i; done | sort -n | tail -1"]),
        host("bash-features", "/bin/bash", &["-c", "a=(x y z); echo ${#a[@]} ${a[1]}; f() { echo func $1; }; f arg; echo $((7*6)); [[ abc == a* ]] && echo glob"]),
        host("busybox-sh-script", "/bin/busybox", &["sh", &script("busybox-sh.sh")]),
        host("gcc-version", "/usr/bin/gcc", &["--version"]),
        host("gcc-compile-run", "/bin/sh", &[&script("gcc-inside.sh")]),
    ];
    if let Some(py) = which("python3") {
        let py = py.display().to_string();
        cases.push(host(
            "python3-subprocess",
            &py,
            &["-c", "import os, json, hashlib, subprocess; print(subprocess.run([\"echo\",\"hi\"], capture_output=True).stdout)"],
        ));
        // sqlite takes fcntl record locks on its database and journal.
        cases.push(host(
            "python3-sqlite3",
            &py,
            &["-c", "import sqlite3, os, tempfile, shutil\nd = tempfile.mkdtemp(prefix='rvt-sqlite-')\nc = sqlite3.connect(os.path.join(d, 'x.db'))\nc.execute('create table t(a)')\nc.executemany('insert into t values(?)', [(i,) for i in range(100)])\nc.commit()\nprint(c.execute('select count(*), sum(a) from t').fetchall())\nc.close()\nshutil.rmtree(d)"],
        ));
    }
    for c in &mut cases {
        if c.name.contains("gcc-compile") {
            c.tmp_prefix = Some("rvt-gcc-".to_string());
        }
        if c.name.contains("sqlite") {
            c.tmp_prefix = Some("rvt-sqlite-".to_string());
        }
    }
    cases
}
