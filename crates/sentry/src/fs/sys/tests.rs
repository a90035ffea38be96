//! sysfs' tree as programs walk it.

use super::*;
use crate::mm::IoDst;
use crate::vfs::file::File;
use crate::vfs::inode::{FileType, NewNode, Owner, SetAttr, S_IFMT};
use abi::Errno;

fn walk(root: &Arc<dyn Inode>, path: &str) -> Result<Arc<dyn Inode>, Errno> {
    let mut at = root.clone();
    for p in path.split('/').filter(|p| !p.is_empty()) {
        at = at.lookup(p.as_bytes())?;
    }
    Ok(at)
}

fn read(root: &Arc<dyn Inode>, path: &str) -> String {
    let i = walk(root, path).unwrap();
    let ops = i.open(&i, libc::O_RDONLY as u32).unwrap();
    let f = File::new(ops, None, Some(i), libc::O_RDONLY as u32);
    let mut buf = vec![0u8; 8192];
    let n = f.ops.read(&f, &mut IoDst::buf(&mut buf), 0).unwrap() as usize;
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn cpus_nodes_and_huge_pages() {
    let sys = SysFs::new(&SysFacts::synthetic(2));
    let root = sys.root();
    assert_eq!(read(&root, "devices/system/cpu/online"), "0-1\n");
    assert_eq!(read(&root, "devices/system/cpu/possible"), "0-1\n");
    assert_eq!(
        read(&root, "devices/system/cpu/cpu1/topology/core_id"),
        "1\n"
    );
    assert_eq!(
        read(&root, "devices/system/cpu/cpu0/topology/core_siblings_list"),
        "0-1\n"
    );
    assert_eq!(read(&root, "devices/system/node/node0/cpulist"), "0-1\n");
    assert_eq!(read(&root, "devices/system/node/online"), "0\n");
    assert_eq!(
        walk(&root, "devices/system/node/node0/cpu1")
            .unwrap()
            .readlink()
            .unwrap(),
        b"../../cpu/cpu1"
    );
    assert_eq!(
        read(&root, "kernel/mm/transparent_hugepage/enabled"),
        "always [madvise] never\n"
    );
    assert_eq!(read(&root, "devices/virtual/net/lo/mtu"), "65536\n");
    assert_eq!(
        walk(&root, "class/net/lo").unwrap().readlink().unwrap(),
        b"../../devices/virtual/net/lo"
    );
    let cpu = walk(&root, "devices/system/cpu").unwrap();
    let names: Vec<Vec<u8>> = cpu.readdir().unwrap().into_iter().map(|e| e.name).collect();
    assert!(names.contains(&b"cpu0".to_vec()) && names.contains(&b"cpu1".to_vec()));
    assert!(!names.contains(&b"cpu2".to_vec()));
    let a = walk(&root, "devices/system/cpu/online")
        .unwrap()
        .attr()
        .unwrap();
    assert_eq!(
        (a.mode & S_IFMT, a.mode & 0o777, a.size),
        (crate::vfs::inode::S_IFREG, 0o444, 4096)
    );
    let d = walk(&root, "fs/cgroup").unwrap().attr().unwrap();
    assert_eq!(d.file_type(), FileType::Directory);
    assert_eq!(root.fs_info().magic, SYSFS_MAGIC);
}

#[test]
fn nothing_changes() {
    let sys = SysFs::new(&SysFacts::synthetic(1));
    let root = sys.root();
    let online = walk(&root, "devices/system/cpu/online").unwrap();
    assert_eq!(
        online.open(&online, libc::O_WRONLY as u32).err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        online.open(&online, libc::O_RDWR as u32).err(),
        Some(Errno::EACCES)
    );
    assert_eq!(
        online.setattr(&SetAttr {
            mode: Some(0o666),
            ..Default::default()
        }),
        Err(Errno::EPERM)
    );
    let f = NewNode::File { mode: 0o644 };
    assert_eq!(
        root.create(b"x", &f, Owner::default()).err(),
        Some(Errno::EACCES)
    );
    let d = NewNode::Dir { mode: 0o755 };
    assert_eq!(
        root.create(b"x", &d, Owner::default()).err(),
        Some(Errno::EPERM)
    );
    assert_eq!(root.unlink(b"kernel", true), Err(Errno::EPERM));
}
