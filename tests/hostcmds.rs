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
        cases.push(host("python3-socketpair", &py, &["-c", PY_SOCKETPAIR]));
        cases.push(host("python3-unix-server", &py, &["-c", PY_UNIX_SERVER]));
        cases.push(host("python3-pidfd", &py, &["-c", PY_PIDFD]));
    }
    if let Some(node) = which("node") {
        cases.push(host("node", &node.display().to_string(), &["-e", NODE]));
    }
    if let Some(java) = which("java") {
        let java = java.display().to_string();
        cases.push(host("java-threads", &java, &[&script("Threads.java")]));
    }
    if which("redis-server").is_some() && which("redis-cli").is_some() {
        cases.push(host("redis-unix-socket", "/bin/sh", &[&script("redis.sh")]));
    }
    for c in &mut cases {
        if c.name.contains("gcc-compile") {
            c.tmp_prefix = Some("rvt-gcc-".to_string());
        }
        if c.name.contains("sqlite") {
            c.tmp_prefix = Some("rvt-sqlite-".to_string());
        }
        if c.name == "host::node" {
            c.tmp_prefix = Some("rvt-node-".to_string());
        }
        if c.name.contains("redis") {
            c.tmp_prefix = Some("rvt-redis-".to_string());
        }
        if c.name.contains("python3-unix-server") {
            c.tmp_prefix = Some("rvt-pyunix-".to_string());
        }
    }
    cases
}

/// socketpair of each type: send/recv, boundaries, fd passing.
/// os.pidfd_open, poll and waitid(P_PIDFD) on it, a nonblocking pidfd,
/// signal.pidfd_send_signal, and asyncio's PidfdChildWatcher.
const PY_PIDFD: &str = r#"
import asyncio, os, select, signal, subprocess
p = subprocess.Popen(["sleep", "0.2"])
fd = os.pidfd_open(p.pid)
po = select.poll()
po.register(fd, select.POLLIN)
print(po.poll(0))
print([(f == fd, ev) for f, ev in po.poll(5000)])
r = os.waitid(os.P_PIDFD, fd, os.WEXITED)
print(r.si_code == os.CLD_EXITED, r.si_status, r.si_pid == p.pid)
os.close(fd)
p = subprocess.Popen(["sleep", "10"])
fd = os.pidfd_open(p.pid, os.PIDFD_NONBLOCK if hasattr(os, "PIDFD_NONBLOCK") else 0o4000)
try:
    os.waitid(os.P_PIDFD, fd, os.WEXITED)
except BlockingIOError as e:
    print("nonblocking:", e.errno)
signal.pidfd_send_signal(fd, signal.SIGTERM)
select.select([fd], [], [], 5)
r = os.waitid(os.P_PIDFD, fd, os.WEXITED)
print(r.si_code == os.CLD_KILLED, r.si_status)
os.close(fd)
async def main():
    proc = await asyncio.create_subprocess_exec("sh", "-c", "exit 3")
    return await proc.wait()
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
w = asyncio.PidfdChildWatcher()
asyncio.set_child_watcher(w)
w.attach_loop(loop)
print("asyncio", loop.run_until_complete(main()))
"#;

const PY_SOCKETPAIR: &str = r#"
import socket, os, array
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    a.sendall(b"one"); a.sendall(b"two")
    print(kind, b.recv(100), b.recv(100) if kind != socket.SOCK_STREAM else b"")
    r, w = os.pipe()
    os.write(w, b"via fd")
    socket.send_fds(a, [b"fds"], [r])
    msg, fds, flags, addr = socket.recv_fds(b, 100, 4)
    print(msg, len(fds), os.read(fds[0], 100), flags)
    a.close()
    if kind != socket.SOCK_DGRAM:
        print(b.recv(10))
"#;

/// A Unix stream server in a thread and a client, with a filesystem name.
const PY_UNIX_SERVER: &str = r#"
import socket, threading, tempfile, os
d = tempfile.mkdtemp(prefix="rvt-pyunix-")
path = os.path.join(d, "s")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path); srv.listen(1)
def serve():
    c, _ = srv.accept()
    with c:
        data = c.recv(100)
        c.sendall(data.upper())
t = threading.Thread(target=serve); t.start()
cl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
cl.connect(path)
cl.sendall(b"hello over unix")
print(cl.recv(100), cl.getpeername() == path, srv.getsockname() == path)
t.join(); cl.close(); srv.close()
os.unlink(path); os.rmdir(d)
print("done")
"#;

/// Node: files, a child process, a worker thread, a timer.
const NODE: &str = r#"
const cp = require("child_process"), fs = require("fs"), os = require("os"), path = require("path");
const d = fs.mkdtempSync("/tmp/rvt-node-");
fs.writeFileSync(path.join(d, "f"), "abc");
console.log(fs.readFileSync(path.join(d, "f"), "utf8"), fs.readdirSync(d));
fs.rmSync(d, { recursive: true });
console.log(cp.execSync("echo from a child").toString().trim());
const { Worker } = require("worker_threads");
const w = new Worker("require(\"worker_threads\").parentPort.postMessage(6 * 7)", { eval: true });
w.on("message", (m) => {
    console.log("worker says", m);
    setTimeout(() => console.log("timer fired"), 20);
});
"#;
