//! A handle: one thread's use of a shared cache.
//!
//! `open` returns the handle as an `External`, the first argument of the
//! handle methods: one function per method serves every handle of the
//! thread (see `crate::externals`), so a JS call site calls one function
//! whatever the cache. `close` drops the handle's reference to the cache at
//! once; the methods then throw. When the `External` is collected, or the
//! thread's environment is torn down, the handle is dropped too.

use std::cell::{Ref, RefCell};
use std::sync::Arc;

use napi::sys::{self, napi_value};

use super::cache::{byte_weight, Options, SharedCache};
use super::flight::{Acquired, Outcome, Waiter};
use super::js::{callback, EnvExt};
use super::key::KeyBuf;
use super::port::Port;
use super::registry;
use super::snapshot::Snapshot;
use super::ticket::Tickets;
use super::value::{EntryTimes, Value, SERIALIZED};
use crate::expiry::check_ms;
use crate::externals::{external_method, table_of, Externals};
use crate::ffi::{range_error, type_error, Args, Callback, Env, JsError, JsResult};

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

pub struct Handle {
    name: String,
    cache: RefCell<Option<Arc<SharedCache>>>,
    port: Arc<Port>,
    subscribed: bool,
    /// Loads this handle runs; closing it abandons them.
    tickets: Tickets,
}

impl Handle {
    fn cache(&self) -> JsResult<Ref<'_, Arc<SharedCache>>> {
        Ref::filter_map(self.cache.borrow(), Option::as_ref)
            .map_err(|_| JsError::Internal(format!("SharedMoka {:?} is closed", self.name)).into())
    }

    fn close(&self) {
        self.tickets.clear();
        if let Some(cache) = self.cache.borrow_mut().take() {
            if self.subscribed {
                cache.unsubscribe(&self.port);
            }
        }
        self.port.close();
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.close();
    }
}

/// A duration argument in milliseconds: `undefined`, or as `expiry::check_ms` says.
pub fn duration_arg(env: Env, v: napi_value, name: &str) -> JsResult<Option<f64>> {
    if env.is_undefined(v)? {
        return Ok(None);
    }
    check_ms(env.get_f64(v, name)?, name).map(Some)
}

/// Reads the value to store under `key` from `args[at..at + 4]`
/// (`value, kind, ttl?, tti?`) and checks it against the cache's capacity.
pub fn value_arg<const N: usize>(
    env: Env,
    args: &Args<N>,
    at: usize,
    cache: &SharedCache,
    key: &[u8],
) -> JsResult<Value> {
    let kind = env.get_f64(env.arg(args, at + 1)?, "kind")?;
    if !(0.0..=255.0).contains(&kind) || kind.fract() != 0.0 {
        return range_error(format!("unknown value kind {kind}"));
    }
    let times = EntryTimes {
        ttl: duration_arg(env, env.arg(args, at + 2)?, "ttl")?,
        tti: duration_arg(env, env.arg(args, at + 3)?, "tti")?,
    };
    if !cache.options.per_entry && (times.ttl.is_some() || times.tti.is_some()) {
        return type_error("per-entry ttl/tti need a cache created with perEntryExpiry: true");
    }
    let value = Value::read(env, env.arg(args, at)?, kind as u8, times)?;
    if cache.options.weigh_bytes {
        let weight = byte_weight(key, &value);
        let limit = cache.options.max_capacity.min(u32::MAX as u64);
        if weight > limit {
            return range_error(format!(
                "value too large: {weight} bytes with its key, more than {} (maxCapacity{})",
                limit,
                if limit < cache.options.max_capacity {
                    " or the 2^32 - 1 weight limit"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(value)
}

fn key_arg<const N: usize>(env: Env, args: &Args<N>) -> JsResult<KeyBuf> {
    let mut key = KeyBuf::default();
    key.read(env, env.arg(args, 0)?)?;
    Ok(key)
}

fn value_or_undefined(env: Env, value: Option<Value>) -> JsResult<napi_value> {
    match value {
        Some(v) => v.to_js(env),
        None => env.undefined(),
    }
}

// get(key) -> value | undefined
external_method!(get, Handle, 1, |env, handle, args| {
    let key = key_arg(env, &args)?;
    value_or_undefined(env, handle.cache()?.get(key.as_slice()))
});

// has(key) -> boolean; not a read: no popularity, no idle reset.
external_method!(has, Handle, 1, |env, handle, args| {
    let key = key_arg(env, &args)?;
    env.boolean(handle.cache()?.contains(key.as_slice()))
});

// set(key, value, kind, ttl?, tti?)
external_method!(set, Handle, 5, |env, handle, args| {
    let key = key_arg(env, &args)?;
    let cache = handle.cache()?;
    let value = value_arg(env, &args, 1, &cache, key.as_slice())?;
    cache.insert(key.to_key(), value);
    env.returns_undefined()
});

// setIfAbsent(key, value, kind, ttl?, tti?) -> the value already there | undefined (stored)
external_method!(set_if_absent, Handle, 5, |env, handle, args| {
    let key = key_arg(env, &args)?;
    let cache = handle.cache()?;
    let value = value_arg(env, &args, 1, &cache, key.as_slice())?;
    value_or_undefined(env, cache.insert_if_absent(key.to_key(), value))
});

// delete(key) -> boolean
external_method!(delete, Handle, 1, |env, handle, args| {
    let key = key_arg(env, &args)?;
    env.boolean(handle.cache()?.remove(key.as_slice()).is_some())
});

// take(key) -> the removed value | undefined
external_method!(take, Handle, 1, |env, handle, args| {
    let key = key_arg(env, &args)?;
    let removed = handle.cache()?.remove(key.as_slice());
    value_or_undefined(env, removed)
});

external_method!(clear, Handle, 0, |env, handle, _args| {
    handle.cache()?.clear();
    env.returns_undefined()
});

external_method!(run_pending_tasks, Handle, 0, |env, handle, _args| {
    handle.cache()?.run_pending_tasks();
    env.returns_undefined()
});

// size() -> entry count after pending maintenance has run.
external_method!(size, Handle, 0, |env, handle, _args| {
    let cache = handle.cache()?;
    cache.run_pending_tasks();
    env.double(cache.entry_count() as f64)
});

external_method!(weighted_size, Handle, 0, |env, handle, _args| {
    let cache = handle.cache()?;
    cache.run_pending_tasks();
    env.double(cache.weighted_size() as f64)
});

// stats() -> Float64Array [hits, misses, expired, explicit, replaced, size,
// removals this handle's listener lost to a full queue, waits registered on
// loads in flight]
external_method!(stats, Handle, 0, |env, handle, _args| {
    let [hits, misses, expired, explicit, replaced, size] = handle.cache()?.stats();
    let dropped = handle.port.dropped() as f64;
    let waiting = handle.cache()?.flights.waiting() as f64;
    env.float64_array(&[
        hits, misses, expired, explicit, replaced, size, dropped, waiting,
    ])
});

// inFlight() -> loads running now, from every thread.
external_method!(in_flight, Handle, 0, |env, handle, _args| {
    env.double(handle.cache()?.flights.len() as f64)
});

// snapshot() -> the live entries now, as a snapshot object.
external_method!(snapshot, Handle, 0, |env, handle, _args| {
    let cache = Arc::clone(&*handle.cache()?);
    Snapshot::to_js(env, cache)
});

// acquire(key, wait) -> the cached value | a ticket (a number) to run the
// load | null when registered as waiter `wait` of a load running elsewhere.
// Not counted as a read: `fetch` has counted its `get`.
external_method!(acquire, Handle, 2, |env, handle, args| {
    let key = key_arg(env, &args)?;
    let wait = wait_arg(env, &args, 1)?;
    let cache = Arc::clone(&*handle.cache()?);
    let port = &handle.port;
    let acquired = cache.flights.acquire(
        key.as_slice(),
        || cache.peek(key.as_slice()),
        || Waiter {
            port: Arc::clone(port),
            wait,
        },
    );
    match acquired {
        Acquired::Hit(value) => value.to_js(env),
        Acquired::Wait => {
            port.wait_registered(env)?;
            env.null()
        }
        Acquired::Load(flight) => {
            let ticket = handle.tickets.issue(cache, key.to_key(), flight)?;
            env.double(ticket as f64)
        }
    }
});

// cancelWait(key, wait) -> whether waiter `wait` was still registered with
// the load of `key`. The caller stopped waiting (its timeout or signal): the
// waiter is removed at once, so the load's outcome is not kept for it and the
// thread's event loop is no longer held open for it. When false, the outcome
// is already queued for this thread and ends the wait when dispatched.
external_method!(cancel_wait, Handle, 2, |env, handle, args| {
    let key = key_arg(env, &args)?;
    let wait = wait_arg(env, &args, 1)?;
    let cancelled = handle
        .cache()?
        .flights
        .cancel(key.as_slice(), &handle.port, wait);
    if cancelled {
        handle.port.wait_ended(env)?;
    }
    env.boolean(cancelled)
});

fn wait_arg<const N: usize>(env: Env, args: &Args<N>, i: usize) -> JsResult<u32> {
    let wait = env.get_f64(env.arg(args, i)?, "wait")?;
    if !(0.0..=u32::MAX as f64).contains(&wait) || wait.fract() != 0.0 {
        return range_error("wait must be an integer in [0, 2^32)");
    }
    Ok(wait as u32)
}

fn ticket_arg<const N: usize>(env: Env, args: &Args<N>) -> JsResult<u32> {
    env.get_u32(env.arg(args, 0)?, "ticket")
}

// resolve(ticket, value, kind, ttl?, tti?, store) -> undefined: stores the
// value (unless `store` is false) and hands it to the waiters. A value that
// cannot be stored throws and leaves the ticket unfinished.
external_method!(resolve, Handle, 6, |env, handle, args| {
    let id = ticket_arg(env, &args)?;
    let value = handle
        .tickets
        .with(id, |t| value_arg(env, &args, 1, &t.cache, &t.key))?;
    let store = env.flag(env.arg(&args, 5)?, "store")?;
    handle.tickets.take(id)?.resolve(value, store);
    env.returns_undefined()
});

// reject(ticket, error: Uint8Array of serialized bytes) -> undefined
external_method!(reject, Handle, 2, |env, handle, args| {
    let id = ticket_arg(env, &args)?;
    let error = env.read_uint8_array(env.arg(&args, 1)?, "error", |len, copy| {
        Value::build(SERIALIZED, EntryTimes::default(), len, copy)
    })?;
    handle.tickets.take(id)?.finish(Outcome::Failed(error));
    env.returns_undefined()
});

// abandon(ticket) -> undefined: the waiters retry (one of them loads).
external_method!(abandon, Handle, 1, |env, handle, args| {
    handle
        .tickets
        .take(ticket_arg(env, &args)?)?
        .finish(Outcome::Retry);
    env.returns_undefined()
});

external_method!(close, Handle, 0, |env, handle, _args| {
    handle.close();
    env.returns_undefined()
});

const METHODS: &[(&str, Callback)] = &[
    ("get", get),
    ("has", has),
    ("set", set),
    ("setIfAbsent", set_if_absent),
    ("delete", delete),
    ("take", take),
    ("clear", clear),
    ("runPendingTasks", run_pending_tasks),
    ("size", size),
    ("weightedSize", weighted_size),
    ("stats", stats),
    ("inFlight", in_flight),
    ("snapshot", snapshot),
    ("acquire", acquire),
    ("cancelWait", cancel_wait),
    ("resolve", resolve),
    ("reject", reject),
    ("abandon", abandon),
    ("close", close),
];

fn options_arg<const N: usize>(env: Env, args: &Args<N>) -> JsResult<Options> {
    let capacity = env.get_f64(env.arg(args, 1)?, "maxCapacity")?;
    if !(capacity >= 0.0 && capacity <= 2f64.powi(53) && capacity.fract() == 0.0) {
        return range_error(format!(
            "maxCapacity must be an integer ≥ 0, got {capacity}"
        ));
    }
    let flag = |i, name| env.flag(env.arg(args, i)?, name);
    Ok(Options {
        max_capacity: capacity as u64,
        ttl: duration_arg(env, env.arg(args, 2)?, "ttl")?,
        tti: duration_arg(env, env.arg(args, 3)?, "tti")?,
        lru: flag(4, "lru")?,
        weigh_bytes: flag(5, "weighBytes")?,
        serializer: {
            let format = env.get_u32(env.arg(args, 6)?, "serializer")?;
            u8::try_from(format)
                .or_else(|_| range_error("serializer must be a format code below 256"))?
        },
        notify: flag(7, "notify")?,
        per_entry: flag(8, "perEntryExpiry")?,
    })
}

// open(name, maxCapacity, ttl, tti, lru, weighBytes, serializer, notify,
// perEntryExpiry, dispatch, listenerQueueBytes) -> a new handle on the cache
// named `name`. `dispatch(batch)` receives, on this thread, what
// other threads deliver; at most `listenerQueueBytes` of removals wait for it.
callback!(open, Handles, 11, |env, _handles, args| {
    let name_value = env.arg(&args, 0)?;
    if env.type_of(name_value)? != sys::ValueType::napi_string {
        return type_error("name must be a string");
    }
    let mut name = Vec::new();
    env.string_utf16(name_value, &mut name)?;
    if name.is_empty() {
        return type_error("name must not be empty");
    }
    let options = options_arg(env, &args)?;
    let dispatch = env.arg(&args, 9)?;
    if env.type_of(dispatch)? != sys::ValueType::napi_function {
        return type_error("dispatch must be a function");
    }
    let queue_bytes = env.get_f64(env.arg(&args, 10)?, "listenerQueueBytes")?;
    if !(1.0..=MAX_SAFE_INTEGER).contains(&queue_bytes) || queue_bytes.fract() != 0.0 {
        return range_error(format!(
            "listenerQueueBytes must be a positive integer, got {queue_bytes}"
        ));
    }
    let notify = options.notify;
    let cache = registry::open(name, options)?;
    let port = Port::open(env, dispatch, queue_bytes as usize)?;
    if notify {
        cache.subscribe(&port);
    }
    let handle = Handle {
        name: cache.name.clone(),
        cache: RefCell::new(Some(cache)),
        port,
        subscribed: notify,
        tickets: Tickets::default(),
    };
    // SAFETY: `open` is made by `export`, with an `Rc<Handles>` as its data.
    unsafe { table_of::<Handle>(args.data) }.external(env, handle)
});

/// Every handle of one thread.
pub type Handles = Externals<Handle>;

/// `{ open, methods }`: `open(...)` returns a handle, the first argument of
/// every function of `methods`.
pub fn export(env: Env) -> JsResult<napi_value> {
    let handles = Handles::new("a SharedMoka handle");
    let obj = env.object()?;
    env.set_property(obj, "open", env.owning_function("open", open, &handles)?)?;
    env.set_property(obj, "methods", env.methods(&handles, METHODS)?)?;
    Ok(obj)
}
