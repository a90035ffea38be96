//! Pending signals: a set plus the siginfo of each queued instance.
//! Standard signals coalesce (one instance at most); real-time signals queue.

use abi::signal::{SigInfo, SigSet, SIGBUS, SIGFPE, SIGILL, SIGRTMIN, SIGSEGV, SIGSYS, SIGTRAP};
use std::collections::VecDeque;

/// Signals delivered before others, as Linux does (faults first).
const SYNCHRONOUS: [i32; 6] = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS];

#[derive(Clone, Debug, Default)]
pub struct SigQueue {
    pub set: SigSet,
    infos: VecDeque<SigInfo>,
}

impl SigQueue {
    /// Queue `info`. Returns false if it coalesced with a pending instance
    /// (standard signals) or the queue is full (`limit` real-time instances).
    pub fn push(&mut self, info: SigInfo, limit: usize) -> bool {
        let sig = info.signo;
        if sig < SIGRTMIN && self.set.has(sig) {
            return false;
        }
        if sig >= SIGRTMIN && self.infos.len() >= limit {
            return false;
        }
        self.set.add(sig);
        self.infos.push_back(info);
        true
    }

    /// Take one instance of `sig`.
    pub fn take(&mut self, sig: i32) -> Option<SigInfo> {
        let i = self.infos.iter().position(|s| s.signo == sig)?;
        let info = self.infos.remove(i);
        if !self.infos.iter().any(|s| s.signo == sig) {
            self.set.remove(sig);
        }
        info
    }

    /// Drop every instance of the signals in `set`.
    pub fn discard(&mut self, set: SigSet) {
        self.infos.retain(|s| !set.has(s.signo));
        self.set.0 &= !set.0;
    }

    /// The next signal to deliver among those not in `blocked`.
    pub fn next(&self, blocked: SigSet) -> Option<i32> {
        let ready = self.set.0 & !blocked.0;
        if ready == 0 {
            return None;
        }
        if let Some(&s) = SYNCHRONOUS.iter().find(|&&s| ready & SigSet::bit(s) != 0) {
            return Some(s);
        }
        Some(ready.trailing_zeros() as i32 + 1)
    }

    pub fn is_empty(&self) -> bool {
        self.set.0 == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn si(sig: i32) -> SigInfo {
        SigInfo {
            signo: sig,
            ..Default::default()
        }
    }

    #[test]
    fn standard_signals_coalesce_rt_queue() {
        let mut q = SigQueue::default();
        assert!(q.push(si(10), 8));
        assert!(!q.push(si(10), 8));
        assert!(q.push(si(40), 8));
        assert!(q.push(si(40), 8));
        assert_eq!(q.next(SigSet::EMPTY), Some(10));
        assert!(q.take(40).is_some());
        assert!(q.set.has(40));
        assert!(q.take(40).is_some());
        assert!(!q.set.has(40));
        assert_eq!(q.next(SigSet(SigSet::bit(10))), None);
    }

    #[test]
    fn faults_go_first() {
        let mut q = SigQueue::default();
        q.push(si(2), 8);
        q.push(si(11), 8);
        assert_eq!(q.next(SigSet::EMPTY), Some(11));
    }
}
