//! The native methods of every cache, as raw Node-API functions.
//!
//! One function per method serves all caches of the environment: the cache
//! is the first argument, an `External` that `createCache` returned (see
//! `externals`), so that a JS call site calls the same function whatever the
//! cache. A call costs one `napi_get_cb_info`, one `napi_get_value_external`
//! and a table lookup, and no unwrap. A cache lives while its `External` is
//! reachable. Every method publishes queued events before returning; none of
//! them calls into JS, though reading an argument may run a JS getter (which
//! may call these functions again: the core is only borrowed, and moka holds
//! no lock then).

use napi::sys::napi_value;

use crate::core::{Core, Extra, Options};
use crate::expiry::from_ms;
use crate::externals::{object_of, table_in, table_of, Externals};
use crate::ffi::{native_fn, push, range_error, Args, Callback, Env, JsError, JsResult};
use crate::handle::Handle;
use crate::key::{with_key, KeyBuf, KeyRef};
use crate::protocol::MAX_SLOT;
use crate::value::{Carried, Deadlines};

/// One cache: its entries keep per-entry deadlines, or not, or (adaptive
/// with expiry) deadlines and the clocks they carry across a switch.
pub enum Native {
    Plain(Handle<()>),
    PerEntry(Handle<Deadlines>),
    Carried(Handle<Carried>),
}

/// Every cache of one environment.
pub type Caches = Externals<Native>;

/// `method!(read name, argc, |env, args, core| body)` defines a cache method
/// taking the cache and `argc` more arguments. A `read` adds no entry and
/// leaves the memory figure to the next `write` (see `Handle::report_entries`).
macro_rules! method {
    (@writes read) => {
        false
    };
    (@writes write) => {
        true
    };
    ($kind:ident $name:ident, $argc:literal, |$env:ident, $args:ident, $core:ident| $body:block) => {
        native_fn!($name, |env, info| {
            fn run<D: Extra>(
                $env: Env,
                $args: Args<{ $argc + 1 }>,
                handle: &Handle<D>,
            ) -> JsResult<napi_value> {
                let core = handle.core()?;
                let $core: &Core<D> = &core;
                #[allow(clippy::redundant_closure_call)]
                let result = (|| -> JsResult<napi_value> { $body })();
                handle.finish($env, core, method!(@writes $kind), result)
            }
            // SAFETY: this function was made by `export`, and `info` is this call's.
            let found = unsafe { object_of::<Native, { $argc + 1 }>(env, info) };
            let (native, args) = found?;
            match native {
                Native::Plain(h) => run(env, args, h),
                Native::PerEntry(h) => run(env, args, h),
                Native::Carried(h) => run(env, args, h),
            }
        });
    };
}

/// `keyed!(read name, |env, core, key| body)` defines a cache method taking
/// the cache, a key and an optional token, whose `body` runs on the key read
/// (see `with_key`). A call without a token, the common one, has a path of
/// its own: nothing of the token is kept across its Node-API calls.
macro_rules! keyed {
    ($kind:ident $name:ident, |$env:ident, $core:ident, $key:ident| $body:expr) => {
        native_fn!($name, |env, info| {
            #[inline(always)]
            fn run<D: Extra>(
                $env: Env,
                handle: &Handle<D>,
                value: napi_value,
                token: Option<napi_value>,
            ) -> JsResult<napi_value> {
                let core = handle.core()?;
                let $core: &Core<D> = &core;
                let result = with_key($env, value, token, |$key| $body).and_then(|r| r);
                handle.finish($env, core, method!(@writes $kind), result)
            }
            #[inline(always)]
            fn on(
                env: Env,
                native: &Native,
                value: napi_value,
                token: Option<napi_value>,
            ) -> JsResult<napi_value> {
                match native {
                    Native::Plain(h) => run(env, h, value, token),
                    Native::PerEntry(h) => run(env, h, value, token),
                    Native::Carried(h) => run(env, h, value, token),
                }
            }
            #[cold]
            #[inline(never)]
            fn with_token(
                env: Env,
                table: &Caches,
                first: napi_value,
                value: napi_value,
                token: napi_value,
            ) -> JsResult<napi_value> {
                // SAFETY: `first` is an argument of this call, which the
                // object does not outlive.
                let native = unsafe { table.get(env, first) }?;
                on(env, native, value, Some(token))
            }
            // SAFETY: `info` is this call's.
            let (first, args) = unsafe { Args::<3>::read_after_first(env, info) }?;
            // SAFETY: this function was made by `export`.
            let table = unsafe { table_in::<Native, 3>(&args) };
            let value = args.value(0);
            if let Some(token) = args.get(1) {
                return with_token(env, table, first, value, token);
            }
            // SAFETY: as in `with_token`.
            let native = unsafe { table.get(env, first) }?;
            on(env, native, value, None)
        });
    };
}

/// Runs `f` on the key at `args[key]` with the optional token at `args[token]`.
#[inline(always)]
fn with_key_arg<const N: usize, R>(
    env: Env,
    args: &Args<N>,
    key: usize,
    token: usize,
    f: impl FnOnce(KeyRef<'_>) -> R,
) -> JsResult<R> {
    with_key(env, args.value(key), args.get(token), f)
}

/// A slot as the JS layer reads it: the slot, or -1 for a miss.
#[inline]
pub(crate) fn slot_or_miss(slot: Option<u32>) -> i32 {
    slot.map_or(-1, |s| s as i32)
}

fn slot_arg(env: Env, v: Option<napi_value>) -> JsResult<u32> {
    let slot = env.get_u32(
        v.ok_or_else(|| JsError::Type("slot is missing".into()))?,
        "slot",
    )?;
    if slot > MAX_SLOT {
        return range_error("too many entries: slot number out of range");
    }
    Ok(slot)
}

fn weight_arg(env: Env, v: Option<napi_value>) -> JsResult<u32> {
    match v {
        Some(w) if !env.is_undefined(w)? => env.get_u32(w, "weight"),
        _ => Ok(1),
    }
}

// get(key, token?) -> slot | -1
keyed!(read get, |env, core, key| env.int(slot_or_miss(core.get(key))));

// has(key, token?) -> boolean; not a read: no popularity, no idle reset.
keyed!(read has, |env, core, key| env.boolean(core.contains(key)));

// set(key, slot, token?, weight?, ttlMs?, ttiMs?): the JS layer passes only
// what the entry uses, and each absent argument costs no Node-API call.
method!(write set, 6, |env, args, core| {
    // Read into a `KeyBuf`, from which the owned key is built in place.
    let mut key = KeyBuf::new();
    key.read(env, args.value(0), args.get(2))?;
    let slot = slot_arg(env, args.get(1))?;
    let weight = weight_arg(env, args.get(3))?;
    let ttl = from_ms(env.get_opt_f64(args.get(4), "ttl")?, "ttl")?;
    let tti = from_ms(env.get_opt_f64(args.get(5), "tti")?, "tti")?;
    core.insert(key.to_key(), slot, weight, core.entry_extra(ttl, tti)?);
    env.returns_undefined()
});

// remove(key, token?) -> slot of the removed entry | -1
keyed!(write remove, |env, core, key| env.int(slot_or_miss(core.remove(key))));

// removeSlot(key, token, slot) -> boolean: removes only that very entry.
method!(write remove_slot, 3, |env, args, core| {
    let removed = with_key_arg(env, &args, 0, 1, |key| -> JsResult<bool> {
        Ok(core.remove_slot(key, slot_arg(env, args.get(2))?))
    })??;
    env.boolean(removed)
});

/// The `i`-th element of an optional array.
fn element(env: Env, arr: Option<napi_value>, i: u32) -> JsResult<Option<napi_value>> {
    arr.map(|a| env.array_get(a, i)).transpose()
}

// getMany(keys, tokens?) -> Int32Array of slots (-1 for a miss)
method!(read get_many, 2, |env, args, core| {
    let keys = args
        .get(0)
        .ok_or_else(|| JsError::Type("keys must be an array".into()))?;
    let n = env.array_len(keys, "keys")?;
    let tokens = optional_array(env, args.get(1), n, "tokens")?;
    let mut key = KeyBuf::new();
    let mut out = Vec::new();
    for i in 0..n {
        key.read(env, env.array_get(keys, i)?, element(env, tokens, i)?)?;
        push(&mut out, slot_or_miss(core.get(key.key_ref())))?;
    }
    env.int32_array(&out)
});

// setMany(keys, tokens?, slots, weights?): all arguments are read and checked
// before the first insert, so a bad element inserts nothing.
method!(write set_many, 4, |env, args, core| {
    let keys = args
        .get(0)
        .ok_or_else(|| JsError::Type("keys must be an array".into()))?;
    let n = env.array_len(keys, "keys")?;
    let tokens = optional_array(env, args.get(1), n, "tokens")?;
    let slots = args
        .get(2)
        .ok_or_else(|| JsError::Type("slots must be an array".into()))?;
    if env.array_len(slots, "slots")? != n {
        return range_error("slots must be as long as keys");
    }
    let weights = optional_array(env, args.get(3), n, "weights")?;
    let mut batch = Vec::new();
    let mut key = KeyBuf::new();
    for i in 0..n {
        key.read(env, env.array_get(keys, i)?, element(env, tokens, i)?)?;
        let slot = slot_arg(env, Some(env.array_get(slots, i)?))?;
        let weight = weight_arg(env, element(env, weights, i)?)?;
        push(&mut batch, (key.to_key(), slot, weight))?;
    }
    let extra = D::per_entry(None, None)?;
    for (k, slot, weight) in batch {
        core.insert(k, slot, weight, extra.clone());
    }
    env.returns_undefined()
});

/// An optional array argument that must have `n` elements when given.
fn optional_array(
    env: Env,
    v: Option<napi_value>,
    n: u32,
    name: &str,
) -> JsResult<Option<napi_value>> {
    match v {
        Some(v) if !env.is_undefined(v)? => {
            if env.array_len(v, name)? != n {
                return range_error(format!("{name} must be as long as keys"));
            }
            Ok(Some(v))
        }
        _ => Ok(None),
    }
}

method!(write clear, 0, |env, _args, core| {
    core.clear();
    env.returns_undefined()
});

method!(write run_pending_tasks, 0, |env, _args, core| {
    core.run_pending_tasks();
    env.returns_undefined()
});

// size() -> entry count after pending maintenance has run.
method!(write size, 0, |env, _args, core| {
    core.run_pending_tasks();
    env.double(core.entry_count() as f64)
});

method!(write weighted_size, 0, |env, _args, core| {
    core.run_pending_tasks();
    env.double(core.weighted_size() as f64)
});

method!(read slots, 0, |env, _args, core| {
    env.int32_array(&core.slots())
});

method!(read stats, 0, |env, _args, core| {
    env.float64_array(&core.stats())
});

// adaptiveInfo() -> Float64Array: see `Core::adaptive_info` (empty unless adaptive).
method!(read adaptive_info, 0, |env, _args, core| {
    env.float64_array(&core.adaptive_info())
});

// flush(): publishes events that did not fit in the state array last time.
method!(read flush, 0, |env, _args, core| {
    core.publish_all_next();
    env.returns_undefined()
});

// settle(): what a method does after its operation (report the memory
// figure, adapt), for calls the accelerator took and that left such work
// (see `fast`). A write, so that it reports the memory figure.
method!(write settle, 0, |env, _args, _core| { env.returns_undefined() });

// dispose(): frees the native cache now; later calls throw. Twice is a no-op.
native_fn!(dispose, |env, info| {
    // SAFETY: this function was made by `export`, and `info` is this call's.
    let found = unsafe { object_of::<Native, 1>(env, info) };
    match found?.0 {
        Native::Plain(h) => h.dispose(env)?,
        Native::PerEntry(h) => h.dispose(env)?,
        Native::Carried(h) => h.dispose(env)?,
    }
    env.returns_undefined()
});

/// Names and callbacks of the cache methods, in the order of `METHODS`.
const METHODS: [(&str, Callback); 18] = [
    ("get", get),
    ("has", has),
    ("set", set),
    ("remove", remove),
    ("removeSlot", remove_slot),
    ("getMany", get_many),
    ("setMany", set_many),
    ("clear", clear),
    ("runPendingTasks", run_pending_tasks),
    ("size", size),
    ("weightedSize", weighted_size),
    ("slots", slots),
    ("stats", stats),
    ("adaptiveInfo", adaptive_info),
    ("flush", flush),
    ("settle", settle),
    ("fastId", crate::fast::fast_id),
    ("dispose", dispose),
];

/// Every method name, for the `protocol` export.
pub fn method_names() -> Vec<&'static str> {
    METHODS.iter().map(|(name, _)| *name).collect()
}

/// `createCache` and the object of cache methods, sharing one table of caches.
pub fn export(env: Env) -> JsResult<(napi_value, napi_value)> {
    let caches = Caches::new("a native cache");
    crate::fast::register(env, &caches)?;
    let create = env.owning_function("createCache", create, &caches)?;
    let methods = env.methods(&caches, &METHODS)?;
    Ok((create, methods))
}

// `createCache(maxCapacity, ttlMs, ttiMs, lru, weighted, notify, perEntryExpiry, adaptive)`
// -> `{ cache, state }`: the cache (an `External`, the first argument of
// every method) and its state array.
//
// The JS layer validates the options and names them; this refuses again
// what would be unsafe or would reach an assertion inside moka.
native_fn!(create, |env, info| {
    // SAFETY: `info` is this call's.
    let args = unsafe { Args::<8>::read(env, info) }?;
    let max_capacity = env
        .get_opt_f64(args.get(0), "maxCapacity")?
        .ok_or_else(|| JsError::Type("maxCapacity is missing".into()))?;
    if !((0.0..=9_007_199_254_740_991.0).contains(&max_capacity) && max_capacity.fract() == 0.0) {
        return range_error("maxCapacity must be an integer from 0 to 2^53 - 1");
    }
    let opts = Options {
        max_capacity: max_capacity as u64,
        ttl: from_ms(env.get_opt_f64(args.get(1), "ttl")?, "ttl")?,
        tti: from_ms(env.get_opt_f64(args.get(2), "tti")?, "tti")?,
        lru: env.get_bool(args.get(3), "lru")?,
        weighted: env.get_bool(args.get(4), "weighted")?,
        notify: env.get_bool(args.get(5), "notify")?,
        adaptive: env.get_bool(args.get(7), "adaptive")?,
        per_entry_expiry: env.get_bool(args.get(6), "perEntryExpiry")?,
    };
    let per_entry = opts.per_entry_expiry;
    let expiring = per_entry || opts.ttl.is_some() || opts.tti.is_some();
    let (native, state) = if opts.adaptive && expiring {
        let (handle, state) = Handle::new(env, Core::new(&opts))?;
        (Native::Carried(handle), state)
    } else if per_entry {
        let (handle, state) = Handle::new(env, Core::new(&opts))?;
        (Native::PerEntry(handle), state)
    } else {
        let (handle, state) = Handle::new(env, Core::new(&opts))?;
        (Native::Plain(handle), state)
    };
    // SAFETY: this function was made by `export`.
    let cache = unsafe { table_of::<Native>(args.data) }.external(env, native)?;
    let obj = env.object()?;
    env.set_property(obj, "cache", cache)?;
    env.set_property(obj, "state", state)?;
    Ok(obj)
});
