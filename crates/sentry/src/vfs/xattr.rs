//! Extended attributes in VFS terms (Linux's `fs/xattr.c` and the
//! capability hooks of `security/commoncap.c`): namespaces, and who may
//! read, write or list which names. Filesystems only store
//! (`Inode::getxattr` and friends); the syscalls copy names and values.
//!
//! - `user.*`: regular files and directories only (others: ENODATA on
//!   reads, EPERM on writes); reads need read permission, writes write
//!   permission, and in a sticky directory ownership (or CAP_FOWNER).
//! - `trusted.*`: CAP_SYS_ADMIN only (without it: ENODATA on reads, EPERM
//!   on writes, and listings leave them out).
//! - `security.*`: anyone reads; writing needs CAP_SYS_ADMIN, except
//!   `security.capability`, which needs CAP_SETFCAP and a well-formed
//!   v2 or v3 value.
//! - `system.*` (POSIX ACLs): not supported, EOPNOTSUPP.
//! - anything else: EOPNOTSUPP, as for a name no handler claims.

use super::inode::{Attr, Inode, S_IFDIR, S_IFMT, S_IFREG};
use super::perm::{self, MAY_READ, MAY_WRITE};
use crate::kernel::creds::{Creds, CAP_SYS_ADMIN};
use abi::Errno;

/// The longest name, without its NUL.
pub const XATTR_NAME_MAX: usize = 255;
/// The largest value.
pub const XATTR_SIZE_MAX: usize = 65536;
/// The largest list of names listxattr returns.
pub const XATTR_LIST_MAX: usize = 65536;

const CAP_SETFCAP: u32 = 31;
const CAPS_NAME: &[u8] = b"security.capability";
/// `vfs_cap_data` sizes and revisions (the top byte of `magic_etc`).
const CAPS_V2_SIZE: usize = 20;
const CAPS_V3_SIZE: usize = 24;
const CAPS_REVISION_MASK: u32 = 0xff00_0000;
const CAPS_REVISION_2: u32 = 0x0200_0000;
const CAPS_REVISION_3: u32 = 0x0300_0000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    User,
    Trusted,
    Security,
    System,
    Unknown,
}

const PREFIXES: [(&[u8], Namespace); 4] = [
    (b"user.", Namespace::User),
    (b"trusted.", Namespace::Trusted),
    (b"security.", Namespace::Security),
    (b"system.", Namespace::System),
];

/// The namespace of `name` and the part after its prefix.
pub fn namespace(name: &[u8]) -> (Namespace, &[u8]) {
    for (prefix, ns) in PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            return (ns, rest);
        }
    }
    (Namespace::Unknown, name)
}

/// Whether a name is in a namespace a filesystem here may store: EOPNOTSUPP
/// for unknown namespaces and ACLs, EINVAL for a bare prefix ("user.").
fn resolve(name: &[u8]) -> Result<(), Errno> {
    match namespace(name) {
        (Namespace::Unknown | Namespace::System, _) => Err(Errno::EOPNOTSUPP),
        (_, b"") => Err(Errno::EINVAL),
        _ => Ok(()),
    }
}

/// Linux's `xattr_permission`.
fn permission(a: &Attr, creds: &Creds, name: &[u8], write: bool) -> Result<(), Errno> {
    let denied = if write { Errno::EPERM } else { Errno::ENODATA };
    match namespace(name).0 {
        // Left to the filesystem and the security hooks.
        Namespace::Security | Namespace::System => return Ok(()),
        Namespace::Trusted => {
            return if creds.has_cap(CAP_SYS_ADMIN) {
                Ok(())
            } else {
                Err(denied)
            };
        }
        Namespace::User => {
            // Raw type bits: anonymous files have none (not "regular").
            let kind = a.mode & S_IFMT;
            if kind != S_IFREG && kind != S_IFDIR {
                return Err(denied);
            }
            if kind == S_IFDIR && a.mode & 0o1000 != 0 && write && !perm::is_owner(a, creds) {
                return Err(Errno::EPERM);
            }
        }
        Namespace::Unknown => {}
    }
    perm::check(a, creds, if write { MAY_WRITE } else { MAY_READ })
}

/// The capability module's rule for changing `security.*` names. Setting
/// `security.capability` was checked already (and an empty value is not
/// checked at all, a quirk of Linux's); removing it needs CAP_SETFCAP.
fn security_hook(creds: &Creds, name: &[u8], removing: bool) -> Result<(), Errno> {
    if namespace(name).0 != Namespace::Security {
        return Ok(());
    }
    let cap = match (name == CAPS_NAME, removing) {
        (true, false) => return Ok(()),
        (true, true) => CAP_SETFCAP,
        (false, _) => CAP_SYS_ADMIN,
    };
    if creds.has_cap(cap) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// A `security.capability` value must be a v2 or v3 `vfs_cap_data`.
fn check_caps_value(value: &[u8]) -> Result<(), Errno> {
    let magic = value
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) & CAPS_REVISION_MASK);
    match (value.len(), magic) {
        (CAPS_V2_SIZE, Some(CAPS_REVISION_2)) | (CAPS_V3_SIZE, Some(CAPS_REVISION_3)) => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

/// getxattr: `a` are the target's attributes, `store` its inode (None
/// for files without one, such as pipes: they store nothing).
pub fn get(
    creds: &Creds,
    a: &Attr,
    store: Option<&dyn Inode>,
    name: &[u8],
) -> Result<Vec<u8>, Errno> {
    permission(a, creds, name, false)?;
    let store = store.ok_or(Errno::EOPNOTSUPP)?;
    resolve(name)?;
    let v = store.getxattr(name)?;
    // The capability module reads file capabilities itself and refuses
    // malformed ones.
    if name == CAPS_NAME {
        check_caps_value(&v)?;
    }
    Ok(v)
}

/// setxattr (`value` Some) or removexattr (None). `read_only`: the
/// target's mount is read-only.
pub fn change(
    creds: &Creds,
    a: &Attr,
    store: Option<&dyn Inode>,
    read_only: bool,
    name: &[u8],
    value: Option<&[u8]>,
    flags: u32,
) -> Result<(), Errno> {
    if read_only {
        return Err(Errno::EROFS);
    }
    if let Some(v) = value {
        if name == CAPS_NAME && !v.is_empty() {
            check_caps_value(v)?;
            if !creds.has_cap(CAP_SETFCAP) {
                return Err(Errno::EPERM);
            }
        }
    }
    permission(a, creds, name, true)?;
    security_hook(creds, name, value.is_none())?;
    let store = store.ok_or(Errno::EOPNOTSUPP)?;
    resolve(name)?;
    match value {
        Some(v) => store.setxattr(name, v, flags),
        None => store.removexattr(name),
    }
}

/// listxattr: every name the caller may see, each followed by a NUL.
pub fn list(creds: &Creds, store: Option<&dyn Inode>) -> Result<Vec<u8>, Errno> {
    let Some(store) = store else {
        return Ok(Vec::new());
    };
    let admin = creds.has_cap(CAP_SYS_ADMIN);
    let mut out = Vec::new();
    for name in store.listxattr()? {
        if !admin && namespace(&name).0 == Namespace::Trusted {
            continue;
        }
        out.extend_from_slice(&name);
        out.push(0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_bare_prefixes() {
        assert_eq!(namespace(b"user.a"), (Namespace::User, &b"a"[..]));
        assert_eq!(namespace(b"trusted.").0, Namespace::Trusted);
        assert_eq!(namespace(b"userx").0, Namespace::Unknown);
        assert_eq!(resolve(b"user."), Err(Errno::EINVAL));
        assert_eq!(resolve(b"foo.bar"), Err(Errno::EOPNOTSUPP));
        assert_eq!(resolve(b"system.posix_acl_access"), Err(Errno::EOPNOTSUPP));
        assert_eq!(resolve(b"security.x"), Ok(()));
    }

    #[test]
    fn capability_values_are_checked() {
        let mut v2 = vec![0u8; 20];
        v2[3] = 0x02;
        assert_eq!(check_caps_value(&v2), Ok(()));
        let mut v3 = vec![0u8; 24];
        v3[3] = 0x03;
        assert_eq!(check_caps_value(&v3), Ok(()));
        assert_eq!(check_caps_value(&v2[..12]), Err(Errno::EINVAL));
        assert_eq!(check_caps_value(&v3[..20]), Err(Errno::EINVAL));
    }
}
