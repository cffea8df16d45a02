//! Single-flight loading across threads: one load per key at a time, whatever
//! thread asks.
//!
//! The first `fetch` of a missing key gets a flight to run its loader; later
//! ones, from any thread, register as waiters on the flight. The loader's
//! thread stores the value in the cache before it finishes the flight, and an
//! acquirer that finds no flight looks in the cache again under the flights
//! lock, so a value just loaded is never loaded twice. Finishing hands each
//! waiter the outcome through its thread's port; a flight whose loader went
//! away (its ticket dropped unfinished) tells its waiters to retry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::key::Key;
use super::port::{Delivery, Port};
use super::value::Value;

pub struct Waiter {
    pub port: Arc<Port>,
    pub wait: u32,
}

struct Flight {
    id: u64,
    waiters: Vec<Waiter>,
}

pub enum Acquired {
    /// The value is cached.
    Hit(Value),
    /// The caller runs the load of flight `id`.
    Load(u64),
    /// The caller's waiter was registered with the running load.
    Wait,
}

pub enum Outcome {
    Loaded(Value),
    /// Serialized error.
    Failed(Value),
    Retry,
}

#[derive(Default)]
pub struct Flights {
    table: Mutex<HashMap<Key, Flight, ahash::RandomState>>,
    next_id: AtomicU64,
}

impl Flights {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Flight, ahash::RandomState>> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Joins the load of `key`, or finds its value with `lookup`, or starts a load.
    pub fn acquire(
        &self,
        key: &[u8],
        lookup: impl FnOnce() -> Option<Value>,
        waiter: impl FnOnce() -> Waiter,
    ) -> Acquired {
        let mut table = self.lock();
        if let Some(flight) = table.get_mut(key) {
            flight.waiters.push(waiter());
            return Acquired::Wait;
        }
        if let Some(value) = lookup() {
            return Acquired::Hit(value);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        table.insert(
            Key::from_slice(key),
            Flight {
                id,
                waiters: Vec::new(),
            },
        );
        Acquired::Load(id)
    }

    /// Ends flight `id` of `key` (if it still runs) and tells its waiters.
    pub fn finish(&self, key: &[u8], id: u64, outcome: Outcome) {
        let flight = {
            let mut table = self.lock();
            match table.get(key) {
                Some(f) if f.id == id => table.remove(key),
                _ => None,
            }
        };
        for Waiter { port, wait } in flight.map(|f| f.waiters).unwrap_or_default() {
            port.push(match &outcome {
                Outcome::Loaded(value) => Delivery::Loaded {
                    wait,
                    value: value.clone(),
                },
                Outcome::Failed(error) => Delivery::Failed {
                    wait,
                    error: error.clone(),
                },
                Outcome::Retry => Delivery::Retry { wait },
            });
        }
    }

    /// Removes waiter `wait` of `port` from the load of `key`: the caller
    /// stopped waiting. False when it is not registered any more (the outcome
    /// is already queued on its port, or the load never had it).
    pub fn cancel(&self, key: &[u8], port: &Arc<Port>, wait: u32) -> bool {
        let mut table = self.lock();
        let Some(flight) = table.get_mut(key) else {
            return false;
        };
        let before = flight.waiters.len();
        flight
            .waiters
            .retain(|w| !(w.wait == wait && Arc::ptr_eq(&w.port, port)));
        flight.waiters.len() != before
    }

    /// Loads running now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Waits registered on the loads running now, from every thread.
    pub fn waiting(&self) -> usize {
        self.lock().values().map(|f| f.waiters.len()).sum()
    }
}
