//! Resource limits (getrlimit/setrlimit/prlimit64).

use abi::{Rlimit, RLIM_INFINITY};

pub const RLIMIT_CPU: usize = 0;
pub const RLIMIT_FSIZE: usize = 1;
pub const RLIMIT_DATA: usize = 2;
pub const RLIMIT_STACK: usize = 3;
pub const RLIMIT_CORE: usize = 4;
pub const RLIMIT_RSS: usize = 5;
pub const RLIMIT_NPROC: usize = 6;
pub const RLIMIT_NOFILE: usize = 7;
pub const RLIMIT_MEMLOCK: usize = 8;
pub const RLIMIT_AS: usize = 9;
pub const RLIMIT_LOCKS: usize = 10;
pub const RLIMIT_SIGPENDING: usize = 11;
pub const RLIMIT_MSGQUEUE: usize = 12;
pub const RLIMIT_NICE: usize = 13;
pub const RLIMIT_RTPRIO: usize = 14;
pub const RLIMIT_RTTIME: usize = 15;
pub const RLIM_NLIMITS: usize = 16;

#[derive(Clone, Debug)]
pub struct Limits(pub [Rlimit; RLIM_NLIMITS]);

impl Default for Limits {
    /// The defaults a Linux init process starts with.
    fn default() -> Limits {
        let inf = Rlimit {
            rlim_cur: RLIM_INFINITY,
            rlim_max: RLIM_INFINITY,
        };
        let mut l = [inf; RLIM_NLIMITS];
        l[RLIMIT_STACK] = Rlimit {
            rlim_cur: 8 << 20,
            rlim_max: RLIM_INFINITY,
        };
        l[RLIMIT_CORE] = Rlimit {
            rlim_cur: 0,
            rlim_max: RLIM_INFINITY,
        };
        l[RLIMIT_NOFILE] = Rlimit {
            rlim_cur: 1024,
            rlim_max: 1 << 20,
        };
        l[RLIMIT_MEMLOCK] = Rlimit {
            rlim_cur: 8 << 20,
            rlim_max: 8 << 20,
        };
        l[RLIMIT_NPROC] = Rlimit {
            rlim_cur: 63432,
            rlim_max: 63432,
        };
        l[RLIMIT_SIGPENDING] = Rlimit {
            rlim_cur: 63432,
            rlim_max: 63432,
        };
        l[RLIMIT_MSGQUEUE] = Rlimit {
            rlim_cur: 819200,
            rlim_max: 819200,
        };
        l[RLIMIT_NICE] = Rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        l[RLIMIT_RTPRIO] = Rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        Limits(l)
    }
}

impl Limits {
    pub fn get(&self, r: usize) -> Rlimit {
        self.0.get(r).copied().unwrap_or(Rlimit {
            rlim_cur: RLIM_INFINITY,
            rlim_max: RLIM_INFINITY,
        })
    }
    pub fn cur(&self, r: usize) -> u64 {
        self.get(r).rlim_cur
    }
}

impl Limits {
    /// The calling host process's limits (what `runsc do` hands its
    /// program, as a shell would).
    pub fn from_host() -> Limits {
        let mut l = Limits::default();
        for (i, slot) in l.0.iter_mut().enumerate() {
            if let Some(r) = host_resource(i) {
                let got = rustix::process::getrlimit(r);
                slot.rlim_cur = got.current.unwrap_or(RLIM_INFINITY);
                slot.rlim_max = got.maximum.unwrap_or(RLIM_INFINITY);
            }
        }
        l
    }
}

fn host_resource(i: usize) -> Option<rustix::process::Resource> {
    use rustix::process::Resource as R;
    Some(match i {
        RLIMIT_CPU => R::Cpu,
        RLIMIT_FSIZE => R::Fsize,
        RLIMIT_DATA => R::Data,
        RLIMIT_STACK => R::Stack,
        RLIMIT_CORE => R::Core,
        RLIMIT_RSS => R::Rss,
        RLIMIT_NPROC => R::Nproc,
        RLIMIT_NOFILE => R::Nofile,
        RLIMIT_MEMLOCK => R::Memlock,
        RLIMIT_AS => R::As,
        RLIMIT_LOCKS => R::Locks,
        RLIMIT_SIGPENDING => R::Sigpending,
        RLIMIT_MSGQUEUE => R::Msgqueue,
        RLIMIT_NICE => R::Nice,
        RLIMIT_RTPRIO => R::Rtprio,
        RLIMIT_RTTIME => R::Rttime,
        _ => return None,
    })
}
