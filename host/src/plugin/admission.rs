//! CPU admission: how many plugin calls run at once, and who runs next.
//!
//! The [`Runtime`](super::Runtime) lets at most
//! [`max_running_calls`](super::RuntimeConfig::max_running_calls) plugin calls run guest code
//! at once (by default one per core), and one tenant at most
//! [`max_running_per_tenant`](super::RuntimeConfig::max_running_per_tenant) of them (by
//! default half, at least one). A call that finds no running slot waits in its tenant's
//! queue; when a slot frees, it goes to the waiting tenant that runs the fewest calls now,
//! and among equals to the one served least recently (first come, first served within a
//! tenant). So a tenant flooding the host with calls waits behind its own calls, and any
//! other tenant gets the next free slot.
//!
//! The wait is bounded by [`queue_wait_ms`](super::RuntimeConfig::queue_wait_ms), counted
//! separately from the plugin's own deadline (which starts when it runs). Past it, the
//! call faults with [`Fault::HostOverloaded`](super::Fault::HostOverloaded): it fails
//! closed and never counts toward the plugin's circuit breaker. A waiting call is a
//! blocked caller thread (it costs no CPU): how many there are is the caller's concurrency.
//!
//! The thread CPU clock ([`thread_cpu_time`]) tells a plugin that used its deadline from
//! one that the host did not run: see [`DEADLINE_CPU_PERCENT`](super::limits::DEADLINE_CPU_PERCENT).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::error::Overload;

/// Who a call runs for: a tenant, or the host itself (a plugin's `describe` at a load
/// outside any tenant, the core component).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Party {
    /// A tenant of the [`Registry`](super::Registry).
    Tenant(Arc<str>),
    /// The host's own calls.
    Host,
}

/// A waiting call: granted a slot by whoever frees one, woken through its own condvar.
#[derive(Debug, Default)]
struct Waiter {
    granted: AtomicBool,
    wake: Condvar,
}

/// One party's share of the gate.
#[derive(Debug, Default)]
struct PartyState {
    running: u32,
    /// The grant counter when this party was last given a slot (0: never, or not since
    /// it was last idle).
    last_served: u64,
    waiting: VecDeque<Arc<Waiter>>,
}

#[derive(Debug, Default)]
struct State {
    running: u32,
    grants: u64,
    parties: HashMap<Party, PartyState>,
}

/// The fair CPU gate of a runtime.
#[derive(Debug)]
pub(crate) struct CpuGate {
    capacity: u32,
    per_party: u32,
    state: Mutex<State>,
    /// Whether [`acquire`](Self::acquire) may grant a free slot at once when nobody
    /// waits. Always on, but in the test that holds it equal to the general rule.
    fast: bool,
}

/// A running slot, released (and handed to the next waiter) when dropped.
#[derive(Debug)]
pub(crate) struct CpuSlot<'a> {
    gate: &'a CpuGate,
    party: Party,
}

impl Drop for CpuSlot<'_> {
    fn drop(&mut self) {
        let mut st = self.gate.lock();
        st.running = st.running.saturating_sub(1);
        if let Some(p) = st.parties.get_mut(&self.party) {
            p.running = p.running.saturating_sub(1);
        }
        forget_if_idle(&mut st, &self.party);
        self.gate.dispatch(&mut st);
    }
}

fn forget_if_idle(st: &mut State, party: &Party) {
    if st
        .parties
        .get(party)
        .is_some_and(|p| p.running == 0 && p.waiting.is_empty())
    {
        st.parties.remove(party);
    }
}

impl CpuGate {
    /// A gate of `capacity` running slots, at most `per_party` of them to one party
    /// (checked by [`RuntimeConfig::check`](super::RuntimeConfig::check); kept in range
    /// here too).
    pub(crate) fn new(capacity: u32, per_party: u32) -> Self {
        let capacity = capacity.max(1);
        CpuGate {
            capacity,
            per_party: per_party.clamp(1, capacity),
            state: Mutex::new(State::default()),
            fast: true,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives free slots to waiters: each to the eligible party (below its share, with a
    /// waiter) running the fewest calls, then served least recently.
    fn dispatch(&self, st: &mut State) {
        while st.running < self.capacity {
            let next = st
                .parties
                .iter()
                .filter(|(_, p)| p.running < self.per_party && !p.waiting.is_empty())
                .min_by_key(|(_, p)| (p.running, p.last_served))
                .map(|(k, _)| k.clone());
            let Some(party) = next else { break };
            st.grants = st.grants.saturating_add(1);
            let grants = st.grants;
            let Some(p) = st.parties.get_mut(&party) else {
                break;
            };
            let Some(w) = p.waiting.pop_front() else {
                break;
            };
            p.running = p.running.saturating_add(1);
            p.last_served = grants;
            st.running = st.running.saturating_add(1);
            w.granted.store(true, Ordering::Relaxed);
            w.wake.notify_one();
        }
    }

    /// Takes a running slot for `party`, waiting in its queue for at most `wait`.
    ///
    /// # Errors
    /// [`Overload::QueueWait`] when no slot came within `wait`.
    pub(crate) fn acquire(&self, party: &Party, wait: Duration) -> Result<CpuSlot<'_>, Overload> {
        let until = far(wait);
        let mut st = self.lock();
        // Nobody waits and a slot is free for this party: queued, the caller would be the
        // only waiter and `dispatch` would grant it at once. It is granted here with the
        // same bookkeeping (grant count, party's running count and turn), without a
        // waiter to allocate and wake (a futex system call per call otherwise). (After
        // every change `dispatch` leaves no eligible waiter beside a free slot, so the
        // last condition only keeps the fast path from ever passing a queue.)
        if self.fast
            && st.running < self.capacity
            && st
                .parties
                .get(party)
                .is_none_or(|p| p.running < self.per_party)
            && st.parties.values().all(|p| p.waiting.is_empty())
        {
            st.grants = st.grants.saturating_add(1);
            let grants = st.grants;
            let p = st.parties.entry(party.clone()).or_default();
            p.running = p.running.saturating_add(1);
            p.last_served = grants;
            st.running = st.running.saturating_add(1);
            return Ok(CpuSlot {
                gate: self,
                party: party.clone(),
            });
        }
        let waiter = Arc::new(Waiter::default());
        st.parties
            .entry(party.clone())
            .or_default()
            .waiting
            .push_back(Arc::clone(&waiter));
        self.dispatch(&mut st);
        loop {
            if waiter.granted.load(Ordering::Relaxed) {
                return Ok(CpuSlot {
                    gate: self,
                    party: party.clone(),
                });
            }
            let left = until
                .checked_duration_since(Instant::now())
                .filter(|d| !d.is_zero());
            let Some(left) = left else {
                if let Some(p) = st.parties.get_mut(party) {
                    p.waiting.retain(|w| !Arc::ptr_eq(w, &waiter));
                }
                forget_if_idle(&mut st, party);
                return Err(Overload::QueueWait {
                    limit_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                });
            };
            st = waiter
                .wake
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Calls running now, all parties together.
    pub(crate) fn running(&self) -> u32 {
        self.lock().running
    }

    /// Calls waiting now, all parties together.
    pub(crate) fn waiting(&self) -> usize {
        self.lock().parties.values().map(|p| p.waiting.len()).sum()
    }
}

/// The CPU time the calling thread has used so far (`CLOCK_THREAD_CPUTIME_ID`: user and
/// system time, not time spent preempted or waiting), where the platform has that clock.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "freebsd"
))]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(t.tv_sec).ok()?;
    let nanos = u32::try_from(t.tv_nsec).ok()?;
    Some(Duration::new(secs, nanos))
}

/// Without a thread CPU clock: unknown.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "freebsd"
)))]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    None
}

/// `wait` from now, or a day from now when `wait` is further than an `Instant` can hold (a
/// huge configured queue wait never overflows).
pub(crate) fn far(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait)
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn tenant(name: &str) -> Party {
        Party::Tenant(Arc::from(name))
    }

    /// A party's running count, turn and queue length, by its name.
    type PartyRow = (String, u32, u64, usize);

    /// The gate's whole state, comparable: running, grants, and per party its running
    /// count, turn and queue length (sorted by party).
    fn snapshot(gate: &CpuGate) -> (u32, u64, Vec<PartyRow>) {
        let st = gate.lock();
        let mut parties: Vec<PartyRow> = st
            .parties
            .iter()
            .map(|(k, p)| (format!("{k:?}"), p.running, p.last_served, p.waiting.len()))
            .collect();
        parties.sort();
        (st.running, st.grants, parties)
    }

    proptest::proptest! {
        /// The fast path of `acquire` (a free slot granted at once when nobody waits)
        /// decides and counts exactly as queueing and `dispatch` do: the same sequence of
        /// takes (without waiting) and releases by up to four parties, on a gate with and
        /// one without the fast path, gives the same answers and the same state after
        /// every step, whatever the capacity and share.
        #[test]
        fn the_fast_path_grants_and_counts_as_the_queue_does(
            capacity in 1u32..4,
            per_party in 1u32..4,
            ops in proptest::collection::vec((0u8..4, proptest::bool::ANY, 0usize..8), 1..60),
        ) {
            let fast = CpuGate::new(capacity, per_party);
            let mut general = CpuGate::new(capacity, per_party);
            general.fast = false;
            let parties = [tenant("a"), tenant("b"), tenant("c"), Party::Host];
            let (mut held_fast, mut held_general) = (Vec::new(), Vec::new());
            for (who, take, i) in ops {
                if take || held_fast.is_empty() {
                    let p = parties.get(usize::from(who)).unwrap();
                    let a = fast.acquire(p, Duration::ZERO);
                    let b = general.acquire(p, Duration::ZERO);
                    proptest::prop_assert_eq!(a.is_ok(), b.is_ok());
                    if let (Ok(a), Ok(b)) = (a, b) {
                        held_fast.push(a);
                        held_general.push(b);
                    }
                } else {
                    let i = i % held_fast.len();
                    drop(held_fast.swap_remove(i));
                    drop(held_general.swap_remove(i));
                }
                proptest::prop_assert_eq!(snapshot(&fast), snapshot(&general));
            }
        }
    }

    #[test]
    fn a_freed_slot_goes_to_the_tenant_running_least_not_to_the_longest_queue() {
        let gate = Arc::new(CpuGate::new(1, 1));
        let evil = tenant("evil");
        let first = gate.acquire(&evil, Duration::from_secs(5)).unwrap();
        // Three of the attacker's calls queue up before the victim's.
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        for i in 0..3 {
            let (g, order, evil) = (Arc::clone(&gate), Arc::clone(&order), evil.clone());
            threads.push(std::thread::spawn(move || {
                let _s = g.acquire(&evil, Duration::from_secs(10)).unwrap();
                order.lock().unwrap().push(format!("evil{i}"));
            }));
            while gate.waiting() < i + 1 {
                std::thread::yield_now();
            }
        }
        let victim = {
            let (gate, order) = (Arc::clone(&gate), Arc::clone(&order));
            std::thread::spawn(move || {
                let _s = gate
                    .acquire(&tenant("victim"), Duration::from_secs(10))
                    .unwrap();
                order.lock().unwrap().push("victim".to_owned());
            })
        };
        while gate.waiting() < 4 {
            std::thread::yield_now();
        }
        drop(first);
        victim.join().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        let order = order.lock().unwrap();
        assert_eq!(
            order.first().map(String::as_str),
            Some("victim"),
            "{order:?}"
        );
        assert_eq!(gate.running(), 0);
        assert_eq!(gate.waiting(), 0);
    }

    #[test]
    fn one_tenant_holds_at_most_its_share_and_the_wait_is_bounded() {
        let gate = CpuGate::new(2, 1);
        let evil = tenant("evil");
        let _a = gate.acquire(&evil, Duration::ZERO).unwrap();
        // The second slot is free, but not for the same tenant.
        assert_eq!(
            gate.acquire(&evil, Duration::from_millis(20)).unwrap_err(),
            Overload::QueueWait { limit_ms: 20 }
        );
        assert_eq!(gate.waiting(), 0, "a timed-out waiter leaves the queue");
        let _b = gate.acquire(&tenant("good"), Duration::ZERO).unwrap();
        assert_eq!(gate.running(), 2);
        assert_eq!((gate.capacity, gate.per_party), (2, 1));
    }

    #[test]
    fn the_thread_cpu_clock_counts_work_not_sleep() {
        let Some(start) = thread_cpu_time() else {
            return;
        };
        std::thread::sleep(Duration::from_millis(50));
        let slept = thread_cpu_time().unwrap() - start;
        assert!(slept < Duration::from_millis(25), "{slept:?}");
        // Busy: the clock advances (within 5 s of wall time, however loaded the machine).
        let (t, from) = (Instant::now(), thread_cpu_time().unwrap());
        let mut x = 0u64;
        while thread_cpu_time().unwrap() - from < Duration::from_millis(20)
            && t.elapsed() < Duration::from_secs(5)
        {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(
            thread_cpu_time().unwrap() - from >= Duration::from_millis(20),
            "{x}"
        );
    }
}
