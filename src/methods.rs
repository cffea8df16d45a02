//! The native methods of one cache, as raw Node-API functions.
//!
//! `create` builds a [`Core`] and returns an object of functions whose `data`
//! pointer is that core, so a call costs one `napi_get_cb_info` and no unwrap.
//! The core is dropped by a finalizer on that object. Every method publishes
//! queued events before returning; none of them calls into JS.

use std::ffi::c_void;
use std::ptr;

use napi::sys::{self, napi_callback_info, napi_env, napi_value};

use crate::core::{Core, Options};
use crate::entry::Value;
use crate::events::{MAX_SLOT, STATE_HEADER};
use crate::expiry::from_ms;
use crate::ffi::*;
use crate::key::KeyBuf;

macro_rules! method {
    ($name:ident, $argc:literal, |$env:ident, $args:ident, $core:ident| $body:block) => {
        unsafe extern "C" fn $name(env: napi_env, info: napi_callback_info) -> napi_value {
            guard(env, || {
                let $env = env;
                let $args = Args::<$argc>::read(env, info)?;
                // SAFETY: `data` is the core this function was created with,
                // alive until the object holding the function is collected.
                let $core: &Core = &*($args.data as *const Core);
                #[allow(clippy::redundant_closure_call)]
                let result = (|| -> JsResult<napi_value> { $body })();
                $core.publish();
                result
            })
        }
    };
}

/// Reads the key at `args[i]` with the optional token at `args[i + 1]`.
#[inline]
unsafe fn key_arg<const N: usize>(
    env: napi_env,
    args: &Args<N>,
    i: usize,
    buf: &mut KeyBuf,
) -> JsResult<()> {
    let key = match args.get(i) {
        Some(k) => k,
        None => undefined(env)?,
    };
    buf.read(env, key, args.get(i + 1))
}

fn slot_or_miss(slot: Option<u32>) -> i32 {
    slot.map_or(-1, |s| s as i32)
}

unsafe fn slot_arg(env: napi_env, v: Option<napi_value>) -> JsResult<u32> {
    let slot = get_u32(env, v.ok_or(JsError::Type("slot is missing".into()))?, "slot")?;
    if slot > MAX_SLOT {
        return range_error("too many entries: slot number out of range");
    }
    Ok(slot)
}

// get(key, token?) -> slot | -1
method!(get, 2, |env, args, core| {
    let mut key = KeyBuf::new();
    key_arg(env, &args, 0, &mut key)?;
    int(env, slot_or_miss(core.get(key.as_slice())))
});

// has(key, token?) -> boolean; not a read: no popularity, no idle reset.
method!(has, 2, |env, args, core| {
    let mut key = KeyBuf::new();
    key_arg(env, &args, 0, &mut key)?;
    boolean(env, core.cache.contains_key(key.as_slice()))
});

// set(key, token, slot, weight?, ttlMs?, ttiMs?)
method!(set, 6, |env, args, core| {
    let mut key = KeyBuf::new();
    key_arg(env, &args, 0, &mut key)?;
    let slot = slot_arg(env, args.get(2))?;
    let weight = match args.get(3) {
        Some(w) if type_of(env, w)? != sys::ValueType::napi_undefined => get_u32(env, w, "weight")?,
        _ => 1,
    };
    let ttl = from_ms(get_opt_f64(env, args.get(4))?);
    let tti = from_ms(get_opt_f64(env, args.get(5))?);
    core.insert(key.to_key(), Value { slot, weight, ttl, tti });
    undefined(env)
});

// remove(key, token?) -> slot of the removed entry | -1
method!(remove, 2, |env, args, core| {
    let mut key = KeyBuf::new();
    key_arg(env, &args, 0, &mut key)?;
    int(env, slot_or_miss(core.remove(key.as_slice())))
});

// removeSlot(key, token, slot) -> boolean: removes only that very entry.
method!(remove_slot, 3, |env, args, core| {
    let mut key = KeyBuf::new();
    key_arg(env, &args, 0, &mut key)?;
    let slot = slot_arg(env, args.get(2))?;
    boolean(env, core.remove_slot(key.as_slice(), slot))
});

// getMany(keys, tokens?) -> Int32Array of slots (-1 for a miss)
method!(get_many, 2, |env, args, core| {
    let keys = args.get(0).ok_or(JsError::Type("keys must be an array".into()))?;
    let n = array_len(env, keys, "keys")?;
    let tokens = optional_array(env, args.get(1), n)?;
    let mut key = KeyBuf::new();
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let token = match tokens {
            Some(t) => Some(array_get(env, t, i)?),
            None => None,
        };
        key.read(env, array_get(env, keys, i)?, token)?;
        out.push(slot_or_miss(core.get(key.as_slice())));
    }
    int32_array(env, &out)
});

// setMany(keys, tokens?, slots, weights?): all arguments are read and checked
// before the first insert, so a bad element inserts nothing.
method!(set_many, 4, |env, args, core| {
    let keys = args.get(0).ok_or(JsError::Type("keys must be an array".into()))?;
    let n = array_len(env, keys, "keys")?;
    let tokens = optional_array(env, args.get(1), n)?;
    let slots = args.get(2).ok_or(JsError::Type("slots must be an array".into()))?;
    if array_len(env, slots, "slots")? != n {
        return range_error("slots must be as long as keys");
    }
    let weights = optional_array(env, args.get(3), n)?;
    let mut batch = Vec::with_capacity(n as usize);
    let mut key = KeyBuf::new();
    for i in 0..n {
        let token = match tokens {
            Some(t) => Some(array_get(env, t, i)?),
            None => None,
        };
        key.read(env, array_get(env, keys, i)?, token)?;
        let slot = slot_arg(env, Some(array_get(env, slots, i)?))?;
        let weight = match weights {
            Some(w) => get_u32(env, array_get(env, w, i)?, "weight")?,
            None => 1,
        };
        batch.push((key.to_key(), slot, weight));
    }
    for (k, slot, weight) in batch {
        core.insert(k, Value { slot, weight, ttl: None, tti: None });
    }
    undefined(env)
});

/// An optional array argument that must have `n` elements when given.
unsafe fn optional_array(env: napi_env, v: Option<napi_value>, n: u32) -> JsResult<Option<napi_value>> {
    match v {
        Some(v) if type_of(env, v)? != sys::ValueType::napi_undefined => {
            if array_len(env, v, "tokens")? != n {
                return range_error("tokens and weights must be as long as keys");
            }
            Ok(Some(v))
        }
        _ => Ok(None),
    }
}

method!(clear, 0, |env, _args, core| {
    core.clear();
    undefined(env)
});

method!(run_pending_tasks, 0, |env, _args, core| {
    core.run_pending_tasks();
    undefined(env)
});

// size() -> entry count after pending maintenance has run.
method!(size, 0, |env, _args, core| {
    core.run_pending_tasks();
    double(env, core.cache.entry_count() as f64)
});

method!(weighted_size, 0, |env, _args, core| {
    core.run_pending_tasks();
    double(env, core.cache.weighted_size() as f64)
});

method!(slots, 0, |env, _args, core| { int32_array(env, &core.slots()) });

method!(stats, 0, |env, _args, core| { float64_array(env, &core.stats()) });

// flush(): publishes events that did not fit in the shared array last time.
method!(flush, 0, |env, _args, _core| { undefined(env) });

type Callback = unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value;

const METHODS: &[(&str, Callback)] = &[
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
    ("flush", flush),
];

unsafe extern "C" fn finalize(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // Dropping the core drops moka's cache; no JS runs, nothing is notified.
    let _ = std::panic::catch_unwind(|| drop(Box::from_raw(data as *mut Core)));
}

/// `create(state, maxCapacity, ttlMs, ttiMs, lru, weighted)` -> methods object.
///
/// `state` is the `Uint32Array` events are published into; the JS layer has
/// validated the options, this only refuses what would be unsafe.
pub unsafe extern "C" fn create(env: napi_env, info: napi_callback_info) -> napi_value {
    guard(env, || {
        let args = Args::<6>::read(env, info)?;
        let state_value = args.get(0).ok_or(JsError::Type("state is missing".into()))?;
        let (state, state_len) = uint32_array_data(env, state_value)?;
        if state_len <= STATE_HEADER {
            return range_error("state is too short");
        }
        let max_capacity = get_opt_f64(env, args.get(1))?
            .ok_or(JsError::Type("maxCapacity is missing".into()))?;
        if !(max_capacity >= 0.0 && max_capacity.fract() == 0.0) {
            return range_error("maxCapacity must be a non-negative integer");
        }
        let flag = |i| -> JsResult<bool> {
            match args.get(i) {
                Some(v) => {
                    let mut b = false;
                    check(sys::napi_get_value_bool(env, v, &mut b))?;
                    Ok(b)
                }
                None => Ok(false),
            }
        };
        let opts = Options {
            max_capacity: max_capacity as u64,
            ttl: from_ms(get_opt_f64(env, args.get(2))?),
            tti: from_ms(get_opt_f64(env, args.get(3))?),
            lru: flag(4)?,
            weighted: flag(5)?,
        };
        let core = Box::into_raw(Box::new(Core::new(opts, state, state_len)));
        let result = (|| {
            let mut obj = ptr::null_mut();
            check(sys::napi_create_object(env, &mut obj))?;
            for (name, cb) in METHODS {
                let mut f = ptr::null_mut();
                check(sys::napi_create_function(
                    env,
                    name.as_ptr().cast(),
                    name.len() as isize,
                    Some(*cb),
                    core.cast(),
                    &mut f,
                ))?;
                check(sys::napi_set_named_property(env, obj, c_name(name).as_ptr(), f))?;
            }
            // The state array must live as long as the core writes into it.
            check(sys::napi_set_named_property(env, obj, c"state".as_ptr(), state_value))?;
            check(sys::napi_add_finalizer(
                env,
                obj,
                core.cast(),
                Some(finalize),
                ptr::null_mut(),
                ptr::null_mut(),
            ))?;
            Ok(obj)
        })();
        if result.is_err() {
            drop(Box::from_raw(core));
        }
        result
    })
}

fn c_name(name: &str) -> std::ffi::CString {
    std::ffi::CString::new(name).expect("method names have no NUL")
}
