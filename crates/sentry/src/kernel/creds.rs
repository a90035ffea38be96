//! Credentials as the application sees them. All virtual: they decide what
//! the Sentry allows, never what the host allows.

/// Capability numbers the Sentry checks.
pub const CAP_CHOWN: u32 = 0;
pub const CAP_DAC_OVERRIDE: u32 = 1;
pub const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_FOWNER: u32 = 3;
pub const CAP_FSETID: u32 = 4;
pub const CAP_KILL: u32 = 5;
pub const CAP_SETGID: u32 = 6;
pub const CAP_SETUID: u32 = 7;
pub const CAP_SYS_CHROOT: u32 = 18;
pub const CAP_SYS_RESOURCE: u32 = 24;
pub const CAP_MKNOD: u32 = 27;
pub const CAP_SYS_ADMIN: u32 = 21;
/// Highest capability number Linux knows.
pub const CAP_LAST_CAP: u32 = 40;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
    /// Effective capability set.
    pub cap_effective: u64,
    pub cap_permitted: u64,
    pub cap_inheritable: u64,
    pub cap_bounding: u64,
    /// PR_SET_KEEPCAPS: permitted capabilities survive leaving uid 0
    /// (cleared by execve).
    pub keep_caps: bool,
    /// PR_SET_NO_NEW_PRIVS: set once, inherited, never cleared.
    pub no_new_privs: bool,
}

impl Creds {
    /// Credentials of a process run by `uid`/`gid`: full capabilities for root, none otherwise.
    pub fn new(uid: u32, gid: u32) -> Creds {
        let all = (1u64 << (CAP_LAST_CAP + 1)) - 1;
        let caps = if uid == 0 { all } else { 0 };
        Creds {
            uid,
            euid: uid,
            suid: uid,
            fsuid: uid,
            gid,
            egid: gid,
            sgid: gid,
            fsgid: gid,
            groups: Vec::new(),
            cap_effective: caps,
            cap_permitted: caps,
            cap_inheritable: 0,
            cap_bounding: all,
            keep_caps: false,
            no_new_privs: false,
        }
    }

    pub fn has_cap(&self, cap: u32) -> bool {
        cap < 64 && self.cap_effective & (1 << cap) != 0
    }

    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.contains(&gid)
    }
}
