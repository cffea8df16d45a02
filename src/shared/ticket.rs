//! Tickets: the right and the duty to finish one load (see `flight`).
//!
//! The thread whose `fetch` starts a load gets a ticket, a number naming an
//! entry of its handle's ticket table; it stores the loaded value and hands
//! it to every waiter (`resolve`), hands them a serialized error (`reject`),
//! or lets them retry (`abandon`). A ticket dropped unfinished (its handle
//! closed or dropped, which happens when its thread's environment is torn
//! down by `worker.terminate()` or exit) abandons the load, so waiters on
//! other threads never hang on a loader that is gone.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;

use super::cache::SharedCache;
use super::flight::Outcome;
use super::key::Key;
use super::value::Value;
use crate::ffi::{JsError, JsResult};

pub struct Ticket {
    pub cache: Arc<SharedCache>,
    pub key: Key,
    flight: u64,
    finished: bool,
}

impl Ticket {
    /// Stores `value` (when `store`) before ending the flight: whoever finds
    /// no flight finds the value.
    pub fn resolve(self, value: Value, store: bool) {
        if store {
            self.cache.insert(self.key.clone(), value.clone());
        }
        self.finish(Outcome::Loaded(value));
    }

    pub fn finish(mut self, outcome: Outcome) {
        self.cache.flights.finish(&self.key, self.flight, outcome);
        self.finished = true;
    }
}

impl Drop for Ticket {
    /// Unfinished: the waiters retry.
    fn drop(&mut self) {
        if !self.finished {
            self.cache
                .flights
                .finish(&self.key, self.flight, Outcome::Retry);
        }
    }
}

/// One handle's unfinished tickets, by number. Used on the handle's thread only.
///
/// Numbers are issued in turn and wrap, skipping those still in use: a load
/// that runs while 2^32 others start and end keeps its number.
pub struct Tickets {
    table: RefCell<HashMap<u32, Ticket>>,
    next: Cell<u32>,
    /// The largest number issued before wrapping to 0 (smaller in tests).
    last: u32,
}

impl Default for Tickets {
    fn default() -> Self {
        Tickets::wrapping_after(u32::MAX)
    }
}

impl Tickets {
    fn wrapping_after(last: u32) -> Tickets {
        Tickets {
            table: RefCell::default(),
            next: Cell::new(0),
            last,
        }
    }

    /// A ticket for flight `flight` of `key`. If every number is in use, the
    /// flight is abandoned (its waiters retry) and a `RangeError` returned.
    pub fn issue(&self, cache: Arc<SharedCache>, key: Key, flight: u64) -> JsResult<u32> {
        let ticket = Ticket {
            cache,
            key,
            flight,
            finished: false,
        };
        let mut table = self.table.borrow_mut();
        if table.len() as u64 > u64::from(self.last) {
            drop(table);
            drop(ticket);
            return Err(JsError::Range("too many loads running on this thread".into()).into());
        }
        let after = |id: u32| if id == self.last { 0 } else { id + 1 };
        let mut id = self.next.get();
        while table.contains_key(&id) {
            id = after(id);
        }
        self.next.set(after(id));
        table.insert(id, ticket);
        Ok(id)
    }

    /// Runs `f` on unfinished ticket `id` (it stays unfinished).
    pub fn with<T>(&self, id: u32, f: impl FnOnce(&Ticket) -> JsResult<T>) -> JsResult<T> {
        let table = self.table.borrow();
        f(table.get(&id).ok_or_else(unknown)?)
    }

    /// Takes unfinished ticket `id` out of the table, to finish it.
    pub fn take(&self, id: u32) -> JsResult<Ticket> {
        self.table.borrow_mut().remove(&id).ok_or_else(unknown)
    }

    /// Abandons every unfinished ticket.
    pub fn clear(&self) {
        let tickets = std::mem::take(&mut *self.table.borrow_mut());
        drop(tickets);
    }
}

fn unknown() -> Box<JsError> {
    JsError::Internal("no such load: finished already, or its handle was closed".into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::cache::Options;
    use crate::shared::flight::Acquired;

    fn start(cache: &Arc<SharedCache>, tickets: &Tickets, key: &[u8]) -> JsResult<u32> {
        let Acquired::Load(flight) = cache.flights.acquire(key, || None, || unreachable!()) else {
            panic!("a new key starts a load");
        };
        tickets.issue(Arc::clone(cache), Key::from_slice(key), flight)
    }

    #[test]
    fn numbers_wrap_around_those_in_use() {
        let cache = Arc::new(SharedCache::new("tickets".into(), Options::entries(10)));
        let tickets = Tickets::wrapping_after(3);
        let a = start(&cache, &tickets, b"a").unwrap();
        let b = start(&cache, &tickets, b"b").unwrap();
        let c = start(&cache, &tickets, b"c").unwrap();
        assert_eq!((a, b, c), (0, 1, 2));
        tickets.take(b).unwrap().finish(Outcome::Retry);
        // 3, then past 0 (still running) to 1.
        assert_eq!(start(&cache, &tickets, b"d").unwrap(), 3);
        assert_eq!(start(&cache, &tickets, b"e").unwrap(), 1);
        // Every number in use: refused, and that load abandoned.
        assert!(matches!(
            start(&cache, &tickets, b"f").map_err(|e| *e),
            Err(JsError::Range(_))
        ));
        assert_eq!(cache.flights.len(), 4);
        // Each ticket still names its own load.
        for (id, key) in [(0, &b"a"[..]), (2, b"c"), (3, b"d"), (1, b"e")] {
            tickets
                .with(id, |t| {
                    assert_eq!(&*t.key, key);
                    Ok(())
                })
                .unwrap();
        }
    }
}
