//! The kernel's timer service: one host thread runs callbacks at their
//! deadlines (interval timers, alarm, and later POSIX timers and timerfds).

use parking_lot::{Condvar, Mutex};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Instant;

type Callback = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    /// (deadline, id) -> callback.
    timers: BTreeMap<(Instant, u64), Callback>,
    next_id: u64,
    started: bool,
}

struct Service {
    q: Mutex<Queue>,
    cv: Condvar,
}

static SERVICE: LazyLock<Arc<Service>> = LazyLock::new(|| {
    Arc::new(Service {
        q: Mutex::new(Queue::default()),
        cv: Condvar::new(),
    })
});

/// A scheduled callback; cancel with [`cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerId(Instant, u64);

fn run(s: Arc<Service>) {
    let mut q = s.q.lock();
    loop {
        let now = Instant::now();
        let due: Vec<(Instant, u64)> = q
            .timers
            .range(..=(now, u64::MAX))
            .map(|(k, _)| *k)
            .collect();
        if !due.is_empty() {
            let cbs: Vec<Callback> = due.iter().filter_map(|k| q.timers.remove(k)).collect();
            drop(q);
            for cb in cbs {
                cb();
            }
            q = s.q.lock();
            continue;
        }
        match q.timers.keys().next().map(|k| k.0) {
            Some(d) => {
                s.cv.wait_until(&mut q, d);
            }
            None => s.cv.wait(&mut q),
        }
    }
}

/// Run `f` at `deadline` on the timer thread.
pub fn schedule(deadline: Instant, f: impl FnOnce() + Send + 'static) -> TimerId {
    let s = SERVICE.clone();
    let mut q = s.q.lock();
    if !q.started {
        q.started = true;
        let s2 = s.clone();
        let _ = std::thread::Builder::new()
            .name("rvisor-timers".into())
            .spawn(move || run(s2));
    }
    q.next_id += 1;
    let id = q.next_id;
    q.timers.insert((deadline, id), Box::new(f));
    s.cv.notify_all();
    TimerId(deadline, id)
}

/// Cancel a timer; true if it had not fired yet.
pub fn cancel(id: TimerId) -> bool {
    let s = SERVICE.clone();
    let removed = s.q.lock().timers.remove(&(id.0, id.1)).is_some();
    removed
}
