//! A ticket: the right and the duty to finish one load (see `flight`).
//!
//! The thread whose `fetch` started a load gets a ticket object; it stores
//! the loaded value and hands it to every waiter (`resolve`), or hands them
//! the serialized error (`reject`), or lets them retry (`abandon`). A ticket
//! dropped unfinished (its functions collected, or its thread's environment
//! torn down by `worker.terminate()` or exit) abandons the load, so waiters
//! on other threads never hang on a loader that is gone.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use napi::sys::napi_value;

use super::cache::SharedCache;
use super::flight::Outcome;
use super::handle::value_arg;
use super::js::{callback, EnvExt};
use super::key::Key;
use super::value::{EntryTimes, Value, SERIALIZED};
use crate::ffi::{Callback, Env, JsError, JsResult};

pub struct Ticket {
    cache: Arc<SharedCache>,
    key: Key,
    flight: u64,
    finished: Cell<bool>,
}

impl Ticket {
    pub fn to_js(env: Env, cache: Arc<SharedCache>, key: Key, flight: u64) -> JsResult<napi_value> {
        let ticket = Rc::new(Ticket {
            cache,
            key,
            flight,
            finished: Cell::new(false),
        });
        env.methods(&ticket, METHODS)
    }

    fn finish(&self, outcome: Outcome) -> JsResult<()> {
        if self.finished.replace(true) {
            return Err(JsError::Internal("this load is already finished".into()));
        }
        self.cache.flights.finish(&self.key, self.flight, outcome);
        Ok(())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.finished.get() {
            self.cache
                .flights
                .finish(&self.key, self.flight, Outcome::Retry);
        }
    }
}

// resolve(value, kind, ttl?, tti?, store) -> undefined: stores the value
// (unless `store` is false) and hands it to the waiters. A value that cannot
// be stored throws and finishes nothing.
callback!(resolve, Ticket, 5, |env, ticket, args| {
    if ticket.finished.get() {
        return Err(JsError::Internal("this load is already finished".into()));
    }
    let value = value_arg(env, &args, 0, &ticket.cache, &ticket.key)?;
    if env.flag(env.arg(&args, 4)?, "store")? {
        // Stored before the flight ends: whoever finds no flight finds the value.
        ticket.cache.insert(ticket.key.clone(), value.clone());
    }
    ticket.finish(Outcome::Loaded(value))?;
    env.undefined()
});

// reject(error: Uint8Array of v8-serialized bytes) -> undefined
callback!(reject, Ticket, 1, |env, ticket, args| {
    let error = env.read_uint8_array(env.arg(&args, 0)?, "error", |len, copy| {
        Value::build(SERIALIZED, EntryTimes::default(), len, copy)
    })?;
    ticket.finish(Outcome::Failed(error))?;
    env.undefined()
});

// abandon() -> undefined: the waiters retry (one of them loads).
callback!(abandon, Ticket, 0, |env, ticket, _args| {
    ticket.finish(Outcome::Retry)?;
    env.undefined()
});

const METHODS: &[(&str, Callback)] = &[
    ("resolve", resolve),
    ("reject", reject),
    ("abandon", abandon),
];
