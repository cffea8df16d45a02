//! The accelerator's entry points: the hot cache methods as plain C
//! functions, for V8 fast API calls.
//!
//! A Node-API call costs a few hundred instructions before the method runs
//! (argument reading, handle scopes, the UTF-16 copy of the key). V8 can call
//! a C function straight from optimized code instead, handing over a flat
//! one-byte string as a pointer and a length, but only through its C++ API,
//! which Node-API does not reach. The accelerator (`fast/`, one build per V8
//! major) declares those fast functions and calls this table; it finds the
//! table through `binding.fastAbi`, the address of [`moka_js_fast_abi_v1`]
//! as a BigInt, which it checks to be that very exported symbol before
//! reading it.
//!
//! The accelerator cannot read a cache's `External` (Node-API keeps its own
//! record behind it), so a cache is named by its fast id instead
//! (`fastId(cache)`, a number: its table's serial, index and generation). A
//! number names no memory: an id that is no live cache's finds nothing.
//!
//! Each call is handed its environment's [`Context`] (the table of caches)
//! by the accelerator, which holds a count of it from `install`
//! ([`attach`]) until the environment's cleanup ([`detach`]), in a
//! thread-local of its own: an initial-exec one, a load from the thread
//! pointer. The addon's own thread-locals, in an object loaded with
//! `dlopen`, are reached through `__tls_get_addr`, a call on every read.
//!
//! Each function runs the same core operation as the Node-API method of the
//! same name, and only when it can run it exactly as that method would:
//! otherwise it returns [`NOT_TAKEN`] having done nothing, and the JS layer
//! calls the Node-API method. No JS runs here and nothing is allocated on
//! the V8 heap; nothing throws or unwinds. Events due are published into
//! the state array here, as the method publishes them (memory writes). When
//! the operation left work that needs Node-API or may replace the core (a
//! memory figure to report, an adaptive switch), the result says so
//! ([`settled`]) and the JS layer calls `settle`, which does exactly what the
//! method would have done after the operation.

use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::rc::Rc;

use napi::sys::{self, napi_value};

use crate::core::{Core, Extra};
use crate::externals::table_of;
use crate::ffi::{napi_call, native_fn, type_error, Args, Env, JsResult};
use crate::handle::Handle;
use crate::key::{KeyBuf, KeyRef};
use crate::methods::{slot_or_miss, Caches, Native};
use crate::protocol::MAX_SLOT;

/// The call was not taken: nothing happened; call the Node-API method.
pub const NOT_TAKEN: i32 = -2;
/// Results at or below this carry a value and ask for `settle` (the JS side
/// derives it from `NOT_TAKEN` the same way).
const SETTLE: i32 = NOT_TAKEN - 1;

/// A result `value` (a slot, -1, or 0/1) whose call left work for `settle`.
const fn settled(value: i32) -> i32 {
    SETTLE - 1 - value
}

/// The key of a callback's call, as the accelerator read it from V8.
#[repr(C)]
pub struct KeyArg {
    /// `KEY_LATIN1`: `len` bytes at `data`; `KEY_UTF16`: `len` units; `KEY_NUMBER`: `number`.
    pub kind: u32,
    pub len: u32,
    pub data: *const c_void,
    pub number: f64,
}

pub const KEY_LATIN1: u32 = 0;
pub const KEY_UTF16: u32 = 1;
pub const KEY_NUMBER: u32 = 2;

/// An entry for the callbacks: the key as the callback read it.
type Op = unsafe extern "C" fn(context: *const Context, id: f64, key: *const KeyArg) -> i32;
type SetOp =
    unsafe extern "C" fn(context: *const Context, id: f64, key: *const KeyArg, slot: f64) -> i32;
/// Entries for the fast functions, the key in registers: a flat one-byte
/// string's bytes (`data`, `len`), or a number.
type Latin1Op =
    unsafe extern "C" fn(context: *const Context, id: f64, data: *const u8, len: u32) -> i32;
type Latin1SetOp = unsafe extern "C" fn(
    context: *const Context,
    id: f64,
    data: *const u8,
    len: u32,
    slot: f64,
) -> i32;
type NumberOp = unsafe extern "C" fn(context: *const Context, id: f64, key: f64) -> i32;
type NumberSetOp =
    unsafe extern "C" fn(context: *const Context, id: f64, key: f64, slot: f64) -> i32;

/// Fast ids are exact in a double (`Externals::fast_id`).
const MAX_FAST_ID: f64 = 9_007_199_254_740_991.0;

/// What the accelerator calls. `repr(C)`, versioned: the accelerator checks
/// `magic` and `version` before reading further.
#[repr(C)]
pub struct Abi {
    pub magic: [u8; 8],
    pub version: u32,
    pub not_taken: i32,
    /// A count of the calling thread's context, or null when the addon
    /// has none there: given to every call until [`detach`]ed.
    pub attach: unsafe extern "C" fn() -> *const Context,
    pub detach: unsafe extern "C" fn(context: *const Context),
    pub get: Op,
    pub has: Op,
    pub remove: Op,
    pub set: SetOp,
    pub get_latin1: Latin1Op,
    pub has_latin1: Latin1Op,
    pub remove_latin1: Latin1Op,
    pub set_latin1: Latin1SetOp,
    pub get_number: NumberOp,
    pub has_number: NumberOp,
    pub remove_number: NumberOp,
    pub set_number: NumberSetOp,
    /// Calls taken in `context` so far, all of them (`which` 0) or through
    /// V8's fast path (1), for the spec that checks the accelerator is in use.
    pub taken: unsafe extern "C" fn(context: *const Context, which: u32) -> f64,
}

/// The table. Its address reaches the accelerator through `binding.fastAbi`.
#[no_mangle]
pub static moka_js_fast_abi_v1: Abi = Abi {
    magic: *b"mokafast",
    version: 4,
    not_taken: NOT_TAKEN,
    attach,
    detach,
    get,
    has,
    remove,
    set,
    get_latin1,
    has_latin1,
    remove_latin1,
    set_latin1,
    get_number,
    has_number,
    remove_number,
    set_number,
    taken,
};

/// What the accelerator's calls need of their environment: its table of
/// caches, and counts of the calls taken. Counted (`Rc`): by the
/// environment's cleanup hook ([`register`]) and by each [`attach`].
pub struct Context {
    caches: Rc<Caches>,
    /// Calls taken through the callback ([`CALLBACK`]) and through V8's
    /// fast path ([`FAST`]): one increment a call.
    taken: [Cell<u64>; 2],
}

thread_local! {
    /// The context of this thread's environment, or null: a count that
    /// [`register`] took and the environment's cleanup hook ([`release`])
    /// gives back. Read by [`attach`] only. (Should the addon be initialized
    /// twice in one environment, the newer context replaces the older; the
    /// older table's fast ids find nothing in the newer, whose serial
    /// differs, so their caches go through Node-API.)
    static CURRENT: Cell<*const Context> = const { Cell::new(ptr::null()) };
}

/// `binding.fastAbi`: the table's address, as a BigInt.
pub fn export(env: Env) -> JsResult<napi_value> {
    let mut value = std::ptr::null_mut();
    let abi = &moka_js_fast_abi_v1 as *const Abi as u64;
    napi_call!(env, napi_create_bigint_uint64(abi, &mut value))?;
    Ok(value)
}

// fastId(cache) -> the cache's fast id, or -1 when it has none.
native_fn!(pub fast_id, |env, info| {
    // SAFETY: this function was made by `methods::export` (data: the table), and `info` is this call's.
    let (first, args) = unsafe { Args::<1>::read_after_first(env, info) }?;
    // SAFETY: as above.
    let table = unsafe { table_of::<Native>(args.data) };
    match table.fast_id(env, first)? {
        Some(Some(id)) => env.double(id as f64),
        Some(None) => env.int(-1),
        None => type_error("the first argument must be a native cache (an object its create function returned)"),
    }
});

/// Makes `caches` the table of the context the accelerator attaches to on
/// this thread, until the environment `env` is torn down.
pub fn register(env: Env, caches: &Rc<Caches>) -> JsResult<()> {
    let context = Rc::new(Context {
        caches: Rc::clone(caches),
        taken: [Cell::new(0), Cell::new(0)],
    });
    let raw = Rc::into_raw(context);
    let hooked = napi_call!(
        env,
        napi_add_env_cleanup_hook(Some(release), raw as *mut c_void)
    );
    if let Err(e) = hooked {
        // SAFETY: `raw` came from `Rc::into_raw` above and was handed to no one.
        drop(unsafe { Rc::from_raw(raw) });
        return Err(e);
    }
    // An older context keeps its count until its own hook runs.
    CURRENT.with(|c| c.set(raw));
    Ok(())
}

/// The cleanup hook of [`register`]: the context is no longer attached to,
/// and its count is given back.
unsafe extern "C" fn release(arg: *mut c_void) {
    let raw = arg as *const Context;
    CURRENT.with(|c| {
        if c.get() == raw {
            c.set(ptr::null());
        }
    });
    // SAFETY: `arg` is the count `register` took for this hook, which Node
    // calls once, on the environment's thread.
    unsafe { detach(raw) }
}

/// `Abi::attach`: a count of this thread's context, or null.
unsafe extern "C" fn attach() -> *const Context {
    CURRENT.with(|c| {
        let raw = c.get();
        if !raw.is_null() {
            // SAFETY: `CURRENT` holds a count of `raw` (see `register`), on this thread.
            unsafe { Rc::increment_strong_count(raw) };
        }
        raw
    })
}

/// `Abi::detach`: gives back a count [`attach`] (or [`register`]) took.
///
/// # Safety
/// `context` is null or a count taken on this thread and not given back.
unsafe extern "C" fn detach(context: *const Context) {
    if context.is_null() {
        return;
    }
    // SAFETY: the function's contract.
    let context = unsafe { Rc::from_raw(context) };
    // Nothing here may unwind into Node.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(context)));
}

/// `x` when it is an integer from 0 to `max` (at most 2^53 - 1), without
/// `f64::fract`, a call into libm on x86-64's baseline.
#[inline(always)]
fn whole(x: f64, max: f64) -> Option<u64> {
    if !(0.0..=max).contains(&x) {
        return None;
    }
    // SAFETY: `x` is not NaN and lies in 0..=2^53 - 1, which `i64` holds.
    // Unchecked and signed: one instruction each way on x86-64, where the
    // saturating conversion adds range checks and `u64` a sequence of its own.
    let i = unsafe { x.to_int_unchecked::<i64>() };
    (i as f64 == x).then_some(i as u64)
}

/// The key `arg` names, or `None` for a kind of key the table does not
/// know. Latin-1 bytes are looked up as they are (`KeyRef::latin1`) unless
/// `widen`; every other key is read into `buf`, as Latin-1 bytes are with
/// `widen` (a stored key copies the units read whole).
///
/// # Safety
/// `arg.data` holds `arg.len` units of its kind.
#[inline(always)]
unsafe fn read_key<'a>(arg: &'a KeyArg, widen: bool, buf: &'a mut KeyBuf) -> Option<KeyRef<'a>> {
    match arg.kind {
        KEY_LATIN1 => {
            // SAFETY: `data` holds `len` bytes (the function's contract).
            let bytes =
                unsafe { std::slice::from_raw_parts(arg.data.cast::<u8>(), arg.len as usize) };
            if !widen {
                return Some(KeyRef::latin1(bytes));
            }
            buf.set_latin1(bytes);
        }
        KEY_UTF16 => {
            // SAFETY: `data` holds `len` aligned units (the function's contract).
            let units =
                unsafe { std::slice::from_raw_parts(arg.data.cast::<u16>(), arg.len as usize) };
            buf.set_string(units);
        }
        KEY_NUMBER => return Some(number_key(arg.number, buf)),
        _ => return None,
    }
    Some(buf.key_ref())
}

/// The number key `n`, read into `buf`.
#[inline(always)]
fn number_key(n: f64, buf: &mut KeyBuf) -> KeyRef<'_> {
    buf.set_number(n);
    buf.key_ref()
}

/// Which count of [`Context::taken`] a call adds to.
const CALLBACK: usize = 0;
const FAST: usize = 1;

/// Runs `op` on the cache of `id` in `context`, or returns [`NOT_TAKEN`]
/// when there is none; counts the call in `taken[path]` when taken.
///
/// # Safety
/// `context` is null or a count the accelerator holds ([`attach`]), on
/// this thread.
#[inline(always)]
unsafe fn run(
    context: *const Context,
    id: f64,
    path: usize,
    op: impl FnOnce(&Native) -> i32,
) -> i32 {
    if context.is_null() {
        return NOT_TAKEN;
    }
    // SAFETY: the function's contract.
    let context = unsafe { &*context };
    let taken = catch_unwind(AssertUnwindSafe(|| {
        let Some(id) = whole(id, MAX_FAST_ID) else {
            return NOT_TAKEN;
        };
        // SAFETY: no JS and no garbage collection runs before this returns
        // (a fast call runs neither).
        let Some(native) = (unsafe { context.caches.by_fast_id(id) }) else {
            return NOT_TAKEN;
        };
        op(native)
    }));
    match taken {
        Ok(NOT_TAKEN) | Err(_) => NOT_TAKEN,
        Ok(result) => {
            let count = &context.taken[path];
            count.set(count.get() + 1);
            result
        }
    }
}

/// Defines the entry points of one method: `$name` for the callbacks (a
/// `KeyArg`), `$latin1` and `$number` for the fast functions. Each reads the
/// key, finds the cache of `id` in the context's table, and runs `$body` on
/// its core as the Node-API method of the same name does
/// (`methods::method!`), or returns [`NOT_TAKEN`]. `$body` gives the value,
/// or `None` to decline before changing anything. Events due are published
/// as the method publishes them. A `write` asks for `settle` when the memory
/// figure is due, which a `read`'s method leaves to the next write; either
/// when the core wants to adapt. A `write` widens a Latin-1 key as it reads
/// it: the stored key copies its units whole.
macro_rules! fast_op {
    (@due read, $handle:ident, $core:ident) => {
        false
    };
    (@due write, $handle:ident, $core:ident) => {
        $handle.report_due($core)
    };
    (@widen read) => {
        false
    };
    (@widen write) => {
        true
    };
    (
        $kind:ident $name:ident, $latin1:ident, $number:ident,
        |$core:ident, $key:ident $(, $extra:ident)?| $body:expr
    ) => {
        mod $name {
            use super::*;

            #[inline(always)]
            fn on<D: Extra>(handle: &Handle<D>, $key: KeyRef<'_> $(, $extra: f64)?) -> i32 {
                let Ok(core) = handle.core() else {
                    return NOT_TAKEN;
                };
                let $core: &Core<D> = &core;
                let value: Option<i32> = $body;
                let Some(value) = value else {
                    return NOT_TAKEN;
                };
                handle.publish($core);
                if fast_op!(@due $kind, handle, $core) || $core.wants_adapt() {
                    settled(value)
                } else {
                    value
                }
            }

            #[inline(always)]
            pub fn dispatch(native: &Native, $key: KeyRef<'_> $(, $extra: f64)?) -> i32 {
                match native {
                    Native::Plain(h) => on(h, $key $(, $extra)?),
                    Native::PerEntry(h) => on(h, $key $(, $extra)?),
                    Native::Carried(h) => on(h, $key $(, $extra)?),
                }
            }
        }

        /// # Safety
        /// `context` as for [`run`]; `arg` is a live `KeyArg` whose `data` holds `len` units of its kind.
        unsafe extern "C" fn $name(
            context: *const Context,
            id: f64,
            arg: *const KeyArg
            $(, $extra: f64)?
        ) -> i32 {
            // SAFETY: the function's contract.
            unsafe {
                run(context, id, CALLBACK, |native| {
                    let mut buf = KeyBuf::new();
                    let Some(key) = read_key(&*arg, fast_op!(@widen $kind), &mut buf) else {
                        return NOT_TAKEN;
                    };
                    $name::dispatch(native, key $(, $extra)?)
                })
            }
        }

        /// # Safety
        /// `context` as for [`run`]; `data` holds `len` bytes.
        unsafe extern "C" fn $latin1(
            context: *const Context,
            id: f64,
            data: *const u8,
            len: u32
            $(, $extra: f64)?
        ) -> i32 {
            // SAFETY: the function's contract.
            unsafe {
                run(context, id, FAST, |native| {
                    let bytes = std::slice::from_raw_parts(data, len as usize);
                    // A constant: one branch is compiled, so a read makes no buffer.
                    if fast_op!(@widen $kind) {
                        let mut buf = KeyBuf::new();
                        buf.set_latin1(bytes);
                        $name::dispatch(native, buf.key_ref() $(, $extra)?)
                    } else {
                        $name::dispatch(native, KeyRef::latin1(bytes) $(, $extra)?)
                    }
                })
            }
        }

        /// # Safety
        /// `context` as for [`run`].
        unsafe extern "C" fn $number(context: *const Context, id: f64, key: f64 $(, $extra: f64)?) -> i32 {
            // SAFETY: the function's contract.
            unsafe {
                run(context, id, FAST, |native| {
                    let mut buf = KeyBuf::new();
                    $name::dispatch(native, number_key(key, &mut buf) $(, $extra)?)
                })
            }
        }
    };
}

// get(key) -> slot | -1
fast_op!(read get, get_latin1, get_number, |core, key| Some(slot_or_miss(core.get(key))));

// has(key) -> 1 | 0
fast_op!(read has, has_latin1, has_number, |core, key| Some(core.contains(key) as i32));

// remove(key) -> slot of the removed entry | -1
fast_op!(write remove, remove_latin1, remove_number, |core, key| Some(slot_or_miss(core.remove(key))));

// set(key, slot) -> 0: weight 1, no per-entry expiry. A slot that the
// Node-API method would refuse is not taken, so that it throws there.
fast_op!(write set, set_latin1, set_number, |core, key, slot| {
    whole(slot, MAX_SLOT as f64).and_then(|slot| {
        D::per_entry(None, None).ok().map(|extra| {
            core.insert(key.to_key(), slot as u32, 1, extra);
            0
        })
    })
});

/// `Abi::taken`.
///
/// # Safety
/// `context` is null or a count [`attach`] took on this thread.
unsafe extern "C" fn taken(context: *const Context, which: u32) -> f64 {
    if context.is_null() {
        return 0.0;
    }
    // SAFETY: the function's contract.
    let [callback, fast] = unsafe { &(*context).taken }.each_ref().map(Cell::get);
    (match which {
        0 => callback + fast,
        1 => fast,
        _ => 0,
    }) as f64
}
