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
