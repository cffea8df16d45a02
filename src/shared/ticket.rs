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
#[derive(Default)]
pub struct Tickets {
    table: RefCell<HashMap<u32, Ticket>>,
    next: Cell<u32>,
}

impl Tickets {
    pub fn issue(&self, cache: Arc<SharedCache>, key: Key, flight: u64) -> u32 {
        let id = self.next.get();
        self.next.set(id.wrapping_add(1));
        self.table.borrow_mut().insert(
            id,
            Ticket {
                cache,
                key,
                flight,
                finished: false,
            },
        );
        id
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

fn unknown() -> JsError {
    JsError::Internal("no such load: finished already, or its handle was closed".into())
}
