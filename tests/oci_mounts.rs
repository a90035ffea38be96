//! A bundle's mounts as runc makes them: bind mounts of host files and directories
//! (read-only and read-write, flags, a missing nested mount point), a tmpfs with size and
//! mode, maskedPaths and readonlyPaths, root.readonly, `--overlay2=none`, and mount(2) /
//! umount2(2) inside the container with and without CAP_SYS_ADMIN. Each container runs a
//! busybox sh script; the test checks what it printed, what reached the host, and that
//! /proc/self/mountinfo and /proc/self/mounts parse as Linux's do (the fields Go's
//! moby/sys/mountinfo and systemd read).
//!
//! Shares `oci_env` with `oci_lifecycle`; skipped with `RVISOR_NATIVE_ONLY=1`.

mod oci_env;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use oci_env::*;
use serde_json::{json, Value};

/// Host files and directories the bundles bind.
struct Host {
    dir: PathBuf,
}

impl Host {
    fn new(e: &Env) -> Host {
        let dir = e.dir.join("host");
        fs::create_dir_all(dir.join("vol")).expect("vol");
        fs::create_dir_all(dir.join("rodir")).expect("rodir");
        fs::create_dir_all(dir.join("exec")).expect("exec");
        fs::write(dir.join("hosts"), "127.0.0.1 localhost\n").expect("hosts");
        fs::write(dir.join("rwfile"), "before\n").expect("rwfile");
        fs::write(dir.join("vol/f"), "v1\n").expect("vol/f");
        fs::write(dir.join("rodir/r"), "r\n").expect("rodir/r");
        fs::copy("/bin/busybox", dir.join("exec/busybox")).expect("busybox");
        Host { dir }
    }

    fn path(&self, p: &str) -> String {
        self.dir.join(p).to_str().expect("utf-8 path").to_string()
    }
}

fn bind(dest: &str, source: &str, options: &[&str]) -> Value {
    json!({"destination": dest, "type": "bind", "source": source, "options": options})
}

fn add_mounts(spec: &mut Value, mounts: Vec<Value>) {
    let list = spec["mounts"]
        .as_array_mut()
        .expect("runsc spec lists mounts");
    list.extend(mounts);
}

/// Run `script` with `sh -c` in a fresh container of bundle `name`; its output.
fn run_script(
    e: &Env,
    name: &str,
    script: &str,
    global: &[&str],
    edit: impl FnOnce(&mut Value),
) -> Out {
    let b = e.bundle(name, &["sh", "-c", script], edit);
    e.cmd_with(
        &["run", "--bundle", b.to_str().expect("path"), name],
        global,
    )
}

/// The value printed after `key: ` on its own line.
fn field<'a>(out: &'a str, key: &str) -> &'a str {
    let prefix = format!("{key}: ");
    out.lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .unwrap_or_else(|| panic!("no `{key}:` line in:\n{out}"))
}

/// The text between the `---` lines number `n` and `n + 1`.
fn section(out: &str, n: usize) -> String {
    out.split("---\n").nth(n).unwrap_or("").to_string()
}

/// One line of /proc/PID/mountinfo.
#[derive(Debug)]
struct MountInfo {
    id: u32,
    parent: u32,
    root: String,
    mount_point: String,
    options: Vec<String>,
    fs_type: String,
    source: String,
    super_options: Vec<String>,
}

/// Linux's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u8::from_str_radix(&s[i + 1..i + 4], 8).expect("octal escape");
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

fn options(s: &str) -> Vec<String> {
    s.split(',').map(str::to_string).collect()
}

/// Parses mountinfo as strictly as Go's moby/sys/mountinfo: ten or more fields, optional
/// fields ended by "-", numeric ids, MAJ:MIN, absolute root and mount point, "rw"/"ro"
/// first in both option lists; every parent is a listed mount or the root's own parent.
fn parse_mountinfo(text: &str) -> Vec<MountInfo> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        assert!(f.len() >= 10, "too few fields: {line:?}");
        let sep = f[6..].iter().position(|&x| x == "-").expect("no separator") + 6;
        for opt in &f[6..sep] {
            assert!(
                opt.contains(':') || !opt.is_empty(),
                "optional field {opt:?}"
            );
        }
        assert_eq!(f.len(), sep + 4, "fields after the separator: {line:?}");
        let (maj, min) = f[2].split_once(':').expect("MAJ:MIN");
        maj.parse::<u32>().expect("major");
        min.parse::<u32>().expect("minor");
        let m = MountInfo {
            id: f[0].parse().expect("mount id"),
            parent: f[1].parse().expect("parent id"),
            root: unescape(f[3]),
            mount_point: unescape(f[4]),
            options: options(f[5]),
            fs_type: f[sep + 1].to_string(),
            source: unescape(f[sep + 2]),
            super_options: options(f[sep + 3]),
        };
        assert!(m.root.starts_with('/'), "{line:?}");
        assert!(m.mount_point.starts_with('/'), "{line:?}");
        assert!(["rw", "ro"].contains(&m.options[0].as_str()), "{line:?}");
        assert!(
            ["rw", "ro"].contains(&m.super_options[0].as_str()),
            "{line:?}"
        );
        assert!(!m.fs_type.is_empty() && !m.source.is_empty(), "{line:?}");
        out.push(m);
    }
    assert!(!out.is_empty(), "empty mountinfo");
    let ids: Vec<u32> = out.iter().map(|m| m.id).collect();
    for (i, m) in out.iter().enumerate() {
        assert!(!ids[..i].contains(&m.id), "duplicate id {}", m.id);
        assert!(
            ids.contains(&m.parent) || i == 0,
            "parent {} of {} is not listed",
            m.parent,
            m.mount_point
        );
    }
    assert_eq!(out[0].mount_point, "/", "the root comes first");
    out
}

/// /proc/PID/mounts: six fields, the last two "0 0".
fn parse_mounts(text: &str) -> Vec<(String, String, String, Vec<String>)> {
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split(' ').collect();
            assert_eq!(f.len(), 6, "{line:?}");
            assert_eq!(&f[4..], ["0", "0"], "{line:?}");
            (
                unescape(f[0]),
                unescape(f[1]),
                f[2].to_string(),
                options(f[3]),
            )
        })
        .collect()
}

fn find<'a>(t: &'a [MountInfo], at: &str) -> &'a MountInfo {
    t.iter()
        .rev()
        .find(|m| m.mount_point == at)
        .unwrap_or_else(|| panic!("no mount on {at}: {t:#?}"))
}

#[test]
fn binds_tmpfs_and_mount_tables() {
    let Some(e) = env("mounts-binds") else { return };
    let h = Host::new(&e);
    let script = r#"
echo "hosts: $(cat /etc/hosts)"
echo "hosts-write: $( (echo x > /etc/hosts) 2>&1 )"
echo changed > /etc/rwfile; echo "rwfile-write: $?"
echo "vol: $(cat /vol/f)"
echo new > /vol/new; echo "vol-write: $?"
mkdir /vol/sub; echo "vol-mkdir: $?"
echo "ro-read: $(cat /ro/r)"
echo "ro-touch: $( (touch /ro/x) 2>&1 )"
echo "ro-mkdir: $( (mkdir /ro/d) 2>&1 )"
echo "noexec: $( (/opt/deep/exec/busybox true) 2>&1 )"
echo "scratch-mode: $(stat -c %a /scratch)"
dd if=/dev/zero of=/scratch/big bs=4096 count=32 2>/dev/null; echo "scratch-dd: $?"
echo "scratch-size: $(wc -c < /scratch/big)"
echo "---"; cat /proc/self/mountinfo; echo "---"; cat /proc/self/mounts
"#;
    let mounts = vec![
        bind("/etc/hosts", &h.path("hosts"), &["rbind", "ro", "rprivate"]),
        bind("/etc/rwfile", &h.path("rwfile"), &["rbind", "rprivate"]),
        bind("/vol", &h.path("vol"), &["rbind", "rprivate"]),
        bind("/ro", &h.path("rodir"), &["bind", "ro"]),
        bind(
            "/opt/deep/exec",
            &h.path("exec"),
            &["rbind", "noexec", "nosuid"],
        ),
        json!({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
               "options": ["nosuid", "nodev", "size=64k", "mode=1770"]}),
    ];
    let out = run_script(&e, "binds", script, &[], |s| add_mounts(s, mounts));
    assert_eq!(out.code, 0, "{out:?}");
    let o = &out.stdout;
    assert_eq!(field(o, "hosts"), "127.0.0.1 localhost");
    assert!(
        field(o, "hosts-write").contains("Read-only file system"),
        "{o}"
    );
    assert_eq!(field(o, "rwfile-write"), "0");
    assert_eq!(field(o, "vol"), "v1");
    assert_eq!(field(o, "vol-write"), "0");
    assert_eq!(field(o, "vol-mkdir"), "0");
    assert_eq!(field(o, "ro-read"), "r");
    assert!(
        field(o, "ro-touch").contains("Read-only file system"),
        "{o}"
    );
    assert!(
        field(o, "ro-mkdir").contains("Read-only file system"),
        "{o}"
    );
    assert!(field(o, "noexec").contains("Permission denied"), "{o}");
    assert_eq!(field(o, "scratch-mode"), "1770");
    assert_eq!(field(o, "scratch-dd"), "1", "dd stops at the size limit");
    assert_eq!(field(o, "scratch-size"), "65536");
    // Writes through read-write binds reached the host; read-only ones left it alone.
    assert_eq!(
        fs::read_to_string(h.dir.join("rwfile")).unwrap(),
        "changed\n"
    );
    assert_eq!(fs::read_to_string(h.dir.join("vol/new")).unwrap(), "new\n");
    assert!(h.dir.join("vol/sub").is_dir());
    assert_eq!(
        fs::read_to_string(h.dir.join("hosts")).unwrap(),
        "127.0.0.1 localhost\n"
    );
    assert!(!h.dir.join("rodir/x").exists());

    let info = parse_mountinfo(&section(o, 1));
    for at in ["/proc", "/dev", "/dev/pts", "/dev/shm", "/sys"] {
        find(&info, at);
    }
    let hosts = find(&info, "/etc/hosts");
    assert_eq!(hosts.options[0], "ro");
    assert_eq!(hosts.source, h.path("hosts"));
    assert_eq!(find(&info, "/etc/rwfile").options[0], "rw");
    assert_eq!(find(&info, "/vol").options[0], "rw");
    assert_eq!(find(&info, "/ro").options[0], "ro");
    let ex = find(&info, "/opt/deep/exec");
    assert!(ex.options.contains(&"noexec".into()) && ex.options.contains(&"nosuid".into()));
    let scratch = find(&info, "/scratch");
    assert_eq!(scratch.fs_type, "tmpfs");
    assert!(scratch.options.contains(&"nodev".into()), "{scratch:?}");
    assert!(
        scratch.super_options.contains(&"size=64k".into()),
        "{scratch:?}"
    );
    assert!(
        scratch.super_options.contains(&"mode=1770".into()),
        "{scratch:?}"
    );
    let root = find(&info, "/");
    assert_eq!(root.root, "/");
    // runsc spec's default readonlyPaths: a bind of proc's own sys directory.
    let procsys = find(&info, "/proc/sys");
    assert_eq!(
        (procsys.root.as_str(), procsys.options[0].as_str()),
        ("/sys", "ro")
    );
    assert_eq!(procsys.parent, find(&info, "/proc").id);

    let mounts = parse_mounts(&section(o, 2));
    assert_eq!(mounts.len(), info.len());
    let shm = mounts.iter().find(|m| m.1 == "/dev/shm").expect("/dev/shm");
    assert_eq!(shm.2, "tmpfs");
    assert!(shm.3.contains(&"size=65536k".into()), "{shm:?}");
    assert!(mounts.iter().any(|m| m.1 == "/etc/hosts" && m.3[0] == "ro"));
    assert_nothing_left("after run");
}

#[test]
fn host_changes_show_at_once() {
    let Some(e) = env("mounts-live") else { return };
    let h = Host::new(&e);
    let script = r#"
cat /etc/rwfile > /dev/null; ls /vol > /dev/null
echo ready
i=0; while [ ! -e /vol/late ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
echo "late: $(cat /vol/late 2>&1)"
i=0; while ! grep -q after /etc/rwfile && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
echo "rwfile: $(cat /etc/rwfile)"
echo "listing: $(ls /vol | tr '\n' ' ')"
"#;
    let mounts = vec![
        bind("/vol", &h.path("vol"), &["rbind"]),
        bind("/etc/rwfile", &h.path("rwfile"), &["rbind", "ro"]),
    ];
    let b = e.bundle("live", &["sh", "-c", script], |s| add_mounts(s, mounts));
    let out = e.create(&b, "live", &[]);
    assert_eq!(out.code, 0, "create: {out:?}");
    let out = e.cmd(&["start", "live"]);
    assert_eq!(out.code, 0, "start: {out:?}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !e.output("live").contains("ready") {
        assert!(
            Instant::now() < deadline,
            "never ready: {:?}",
            e.output("live")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Made on the host while the container runs: a new file, and a bound file rewritten
    // in place (the same inode, as editors that truncate do).
    fs::write(h.dir.join("vol/late"), "hello\n").unwrap();
    fs::write(h.dir.join("rwfile"), "after, longer\n").unwrap();
    e.await_status("live", "stopped");
    let o = e.output("live");
    assert_eq!(field(&o, "late"), "hello", "{o}");
    assert_eq!(field(&o, "rwfile"), "after, longer", "{o}");
    assert!(field(&o, "listing").contains("late"), "{o}");
    assert_eq!(e.cmd(&["delete", "live"]).code, 0);
    assert_nothing_left("after delete");
}

#[test]
fn masked_and_read_only_paths_and_read_only_root() {
    let Some(e) = env("mounts-masked") else {
        return;
    };
    let script = r#"
echo "secret: [$(cat /etc/secret)]"
echo "private: [$(ls /etc/private)]"
echo "private-touch: $( (touch /etc/private/x) 2>&1 )"
echo "ro-read: $(cat /etc/ro/keep)"
echo "ro-touch: $( (touch /etc/ro/x) 2>&1 )"
echo "root-touch: $( (touch /newfile) 2>&1 )"
echo "tmp-touch: $( (touch /tmp/x) 2>&1 )"
echo shm > /dev/shm/x; echo "shm: $(cat /dev/shm/x)"
echo "---"; cat /proc/self/mountinfo
"#;
    let b = e.bundle("masked", &["sh", "-c", script], |s| {
        s["root"]["readonly"] = Value::Bool(true);
        let l = &mut s["linux"];
        l["maskedPaths"] = json!(["/etc/secret", "/etc/private", "/proc/kcore", "/nonexistent"]);
        l["readonlyPaths"] = json!(["/etc/ro", "/proc/sys", "/missing"]);
    });
    let rootfs = b.join("rootfs");
    fs::write(rootfs.join("etc/secret"), "s3cret\n").unwrap();
    fs::create_dir_all(rootfs.join("etc/private")).unwrap();
    fs::write(rootfs.join("etc/private/key"), "k\n").unwrap();
    fs::create_dir_all(rootfs.join("etc/ro")).unwrap();
    fs::write(rootfs.join("etc/ro/keep"), "kept\n").unwrap();
    let out = e.cmd(&["run", "--bundle", b.to_str().expect("path"), "masked"]);
    assert_eq!(out.code, 0, "{out:?}");
    let o = out.stdout;
    assert_eq!(
        field(&o, "secret"),
        "[]",
        "a masked file reads as /dev/null"
    );
    assert_eq!(field(&o, "private"), "[]", "a masked directory is empty");
    assert!(
        field(&o, "private-touch").contains("Read-only file system"),
        "{o}"
    );
    assert_eq!(field(&o, "ro-read"), "kept");
    assert!(
        field(&o, "ro-touch").contains("Read-only file system"),
        "{o}"
    );
    assert!(
        field(&o, "root-touch").contains("Read-only file system"),
        "{o}"
    );
    assert!(
        field(&o, "tmp-touch").contains("Read-only file system"),
        "{o}"
    );
    assert_eq!(field(&o, "shm"), "shm");
    let info = parse_mountinfo(&section(&o, 1));
    assert_eq!(find(&info, "/").options[0], "ro");
    let secret = find(&info, "/etc/secret");
    assert_eq!(
        (secret.root.as_str(), secret.fs_type.as_str()),
        ("/null", "tmpfs")
    );
    let private = find(&info, "/etc/private");
    assert_eq!(
        (private.fs_type.as_str(), private.options[0].as_str()),
        ("tmpfs", "ro")
    );
    assert_eq!(find(&info, "/etc/ro").options[0], "ro");
    assert!(!info
        .iter()
        .any(|m| m.mount_point == "/nonexistent" || m.mount_point == "/missing"));
    assert_nothing_left("after run");
}

#[test]
fn overlay_none_writes_reach_the_bundle() {
    let Some(e) = env("mounts-overlay") else {
        return;
    };
    let script = "echo hi > /written; echo \"rc: $?\"";
    let writable = |s: &mut Value| s["root"]["readonly"] = Value::Bool(false);
    let out = run_script(&e, "none", script, &["--overlay2=none"], writable);
    assert_eq!(field(&out.stdout, "rc"), "0", "{out:?}");
    let rootfs = |name: &str| e.dir.join(name).join("rootfs");
    assert_eq!(
        fs::read_to_string(rootfs("none").join("written")).unwrap(),
        "hi\n"
    );
    // The default memory overlay keeps writes in the sandbox.
    let out = run_script(&e, "memory", script, &[], writable);
    assert_eq!(field(&out.stdout, "rc"), "0", "{out:?}");
    assert!(!rootfs("memory").join("written").exists());
    // A read-only root stays read-only without the overlay too.
    let out = run_script(&e, "nonero", script, &["--overlay2=none"], |s| {
        s["root"]["readonly"] = Value::Bool(true)
    });
    assert_ne!(field(&out.stdout, "rc"), "0", "{out:?}");
    assert!(out.stderr.contains("Read-only file system"), "{out:?}");
    assert!(!rootfs("nonero").join("written").exists());
    assert_nothing_left("after run");
}

fn with_sys_admin(s: &mut Value) {
    s["root"]["readonly"] = Value::Bool(false);
    let caps = &mut s["process"]["capabilities"];
    for set in ["bounding", "effective", "permitted"] {
        if let Some(list) = caps[set].as_array_mut() {
            list.push("CAP_SYS_ADMIN".into());
        }
    }
}

#[test]
fn mount_and_umount_inside() {
    let Some(e) = env("mounts-syscalls") else {
        return;
    };
    let script = r#"
mkdir -p /mnt/t /mnt/b
mount -t tmpfs -o size=8k,mode=700 tmpfs /mnt/t; echo "tmpfs: $?"
echo "mode: $(stat -c %a /mnt/t)"
echo "table: $(grep ' /mnt/t ' /proc/self/mounts)"
mount --bind /etc /mnt/b; echo "bind: $?"
echo "bound: $(cat /mnt/b/group)"
mount -o remount,bind,ro /mnt/b; echo "remount: $?"
echo "b-touch: $( (touch /mnt/b/x) 2>&1 )"
cd /mnt/t; echo "busy: $( (umount /mnt/t) 2>&1 )"; cd /
umount /mnt/b; echo "umount-b: $?"
umount /mnt/t; echo "umount-t: $?"
echo "gone: $(grep -c ' /mnt/' /proc/self/mounts)"
"#;
    let out = run_script(&e, "admin", script, &[], with_sys_admin);
    assert_eq!(out.code, 0, "{out:?}");
    let o = &out.stdout;
    assert_eq!(field(o, "tmpfs"), "0", "{out:?}");
    assert_eq!(field(o, "mode"), "700");
    assert_eq!(
        field(o, "table"),
        "tmpfs /mnt/t tmpfs rw,relatime,size=8k,mode=700,inode64 0 0"
    );
    assert_eq!(field(o, "bind"), "0");
    assert_eq!(field(o, "bound"), "root:x:0:");
    assert_eq!(field(o, "remount"), "0");
    assert!(field(o, "b-touch").contains("Read-only file system"), "{o}");
    assert!(field(o, "busy").contains("busy"), "{o}");
    assert_eq!(field(o, "umount-b"), "0");
    assert_eq!(field(o, "umount-t"), "0");
    assert_eq!(field(o, "gone"), "0");

    // Without CAP_SYS_ADMIN (runsc spec's default capabilities): EPERM.
    let script = "mkdir -p /mnt/t; mount -t tmpfs tmpfs /mnt/t; echo \"rc: $?\"";
    let out = run_script(&e, "plain", script, &[], |s| {
        s["root"]["readonly"] = Value::Bool(false)
    });
    assert_ne!(field(&out.stdout, "rc"), "0", "{out:?}");
    assert!(
        out.stderr.contains("not permitted") || out.stderr.contains("denied"),
        "{out:?}"
    );
    assert_nothing_left("after run");
}

#[test]
fn a_missing_bind_source_is_a_clear_error() {
    let Some(e) = env("mounts-missing") else {
        return;
    };
    let b = e.bundle("missing", &["true"], |s| {
        add_mounts(
            s,
            vec![bind("/data", "/nonexistent/rvisor-source", &["rbind"])],
        )
    });
    let out = e.create(&b, "m1", &[]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .contains("mount /data: bind source /nonexistent/rvisor-source"),
        "{out:?}"
    );
    assert_nothing_left("after a failed create");
}
