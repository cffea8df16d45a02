//! A handle's mailbox: what other threads (and moka's eviction listener)
//! deliver to the JS thread that owns the handle.
//!
//! JS state belongs to one thread, so nothing here touches JS off that thread:
//! a delivery is queued, and a threadsafe function wakes the owning thread,
//! which takes the whole queue and hands it to the handle's JS dispatcher in
//! one call. Queuing only takes a mutex and, for the first item of a batch,
//! signals the threadsafe function; both are safe under moka's locks.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use napi::sys::{self, napi_env, napi_threadsafe_function, napi_value};

use super::cache::byte_weight;
use super::js::EnvExt;
use super::key::{self, Key};
use super::value::Value;
use crate::ffi::{napi_call, Env, JsResult};

pub enum Delivery {
    /// A load this thread waited for stored `value`.
    Loaded { wait: u32, value: Value },
    /// A load this thread waited for failed; `error` is serialized.
    Failed { wait: u32, error: Value },
    /// The thread loading it gave up or went away: try again.
    Retry { wait: u32 },
    /// An entry left the cache (`cause` as in `cache::CAUSES`).
    Removed {
        key: Arc<Key>,
        value: Value,
        cause: u32,
    },
}

/// Delivery kinds as the JS dispatcher receives them.
const LOADED: u32 = 0;
const FAILED: u32 = 1;
const RETRY: u32 = 2;
const REMOVED: u32 = 3;
/// Removals were dropped since the last batch: `[OVERFLOW, how many]` ends it.
const OVERFLOW: u32 = 4;

/// What a queued removal is counted at beyond its key and value bytes: the
/// delivery itself and its share of the queue.
const REMOVAL_OVERHEAD: usize = 64;

struct Tsfn(napi_threadsafe_function);

// SAFETY: Node-API threadsafe functions may be called from any thread; the
// pointer is only used while the `Port` mutex proves it is not finalized.
unsafe impl Send for Tsfn {}

struct Inner {
    /// `None` once closed or finalized: deliveries are then dropped.
    tsfn: Option<Tsfn>,
    queue: Vec<Delivery>,
    /// Bytes of the removals in `queue`, as `REMOVAL_OVERHEAD` plus key and value.
    removal_bytes: usize,
    /// Removals dropped since the last batch: the queue was full.
    dropped: u64,
}

pub struct Port {
    inner: Mutex<Inner>,
    /// Waits registered and not yet delivered. While there are any, the
    /// threadsafe function keeps the owning thread's event loop alive.
    /// Changed only on the owning thread.
    waiting: AtomicUsize,
    /// Most bytes of removals queued at once. A listener whose thread is busy
    /// would otherwise queue every removal of every thread, without bound;
    /// beyond it removals are dropped and counted. Load outcomes are never
    /// dropped: a waiter would hang.
    removal_limit: usize,
    /// Removals dropped over the port's life.
    dropped_total: AtomicU64,
}

impl Port {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Never panic (this runs inside moka's listener): a poisoned queue is still a queue.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A port delivering to `dispatch(batch)` on the current thread, queuing
    /// at most `removal_limit` bytes of removals. It does not keep the event
    /// loop alive until a wait is registered.
    pub fn open(env: Env, dispatch: napi_value, removal_limit: usize) -> JsResult<Arc<Port>> {
        let port = Arc::new(Port {
            inner: Mutex::new(Inner {
                tsfn: None,
                queue: Vec::new(),
                removal_bytes: 0,
                dropped: 0,
            }),
            waiting: AtomicUsize::new(0),
            removal_limit,
            dropped_total: AtomicU64::new(0),
        });
        // The threadsafe function owns one reference, released by `finalize`.
        let context = Arc::into_raw(Arc::clone(&port)) as *mut c_void;
        let name = env.string_latin1(b"moka-js SharedMoka")?;
        let mut tsfn = ptr::null_mut();
        let created = napi_call!(
            env,
            napi_create_threadsafe_function(
                dispatch,
                ptr::null_mut(),
                name,
                0,
                1,
                context,
                Some(finalize),
                context,
                Some(call_js),
                &mut tsfn,
            )
        );
        if let Err(e) = created {
            // SAFETY: not created, so nothing else took `context`.
            drop(unsafe { Arc::from_raw(context as *const Port) });
            return Err(e);
        }
        port.lock().tsfn = Some(Tsfn(tsfn));
        napi_call!(env, napi_unref_threadsafe_function(tsfn))?;
        Ok(port)
    }

    /// Queues `delivery` for the owning thread; dropped if the port is
    /// closed, and a removal also when the queue holds `removal_limit` bytes.
    pub fn push(&self, delivery: Delivery) {
        let mut inner = self.lock();
        let Some(tsfn) = inner.tsfn.as_ref().map(|t| t.0) else {
            return;
        };
        let idle = inner.queue.is_empty() && inner.dropped == 0;
        if let Delivery::Removed { key, value, .. } = &delivery {
            let bytes = REMOVAL_OVERHEAD + byte_weight(key, value) as usize;
            if inner.removal_bytes + bytes > self.removal_limit {
                inner.dropped += 1;
                self.dropped_total.fetch_add(1, Ordering::Relaxed);
            } else {
                inner.removal_bytes += bytes;
                inner.queue.push(delivery);
            }
        } else {
            inner.queue.push(delivery);
        }
        if idle {
            // SAFETY: `tsfn` is not finalized while the lock is held (see
            // `finalize`). A closing function answers `napi_closing`, and the
            // queue is then dropped with the port: nothing to undo.
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn,
                    ptr::null_mut(),
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
        }
    }

    /// A wait was registered (owning thread): keep the event loop alive.
    pub fn wait_registered(&self, env: Env) -> JsResult<()> {
        if self.waiting.fetch_add(1, Ordering::Relaxed) == 0 {
            if let Some(tsfn) = self.lock().tsfn.as_ref().map(|t| t.0) {
                napi_call!(env, napi_ref_threadsafe_function(tsfn))?;
            }
        }
        Ok(())
    }

    /// A wait ended (owning thread): its outcome was dispatched, or it was
    /// cancelled. The last one lets the event loop exit.
    pub fn wait_ended(&self, env: Env) -> JsResult<()> {
        if self.waiting.fetch_sub(1, Ordering::Relaxed) == 1 {
            if let Some(tsfn) = self.lock().tsfn.as_ref().map(|t| t.0) {
                napi_call!(env, napi_unref_threadsafe_function(tsfn))?;
            }
        }
        Ok(())
    }

    /// Stops deliveries and releases the threadsafe function (owning thread).
    pub fn close(&self) {
        let tsfn = {
            let mut inner = self.lock();
            inner.queue.clear();
            inner.tsfn.take()
        };
        if let Some(tsfn) = tsfn {
            // SAFETY: taken out under the lock, so no other thread can call it
            // any more; this thread holds the one count it was created with.
            unsafe {
                sys::napi_release_threadsafe_function(
                    tsfn.0,
                    sys::ThreadsafeFunctionReleaseMode::release,
                )
            };
        }
    }

    /// Removals dropped over the port's life (the queue was full).
    pub fn dropped(&self) -> u64 {
        self.dropped_total.load(Ordering::Relaxed)
    }

    /// Hands the queued deliveries to `dispatch` as one flat array of
    /// `[kind, wait or cause or count, key, value]` quadruples, the last
    /// `[OVERFLOW, removals dropped]` when any were.
    fn dispatch(&self, env: Env, dispatch: napi_value) -> JsResult<napi_value> {
        let (batch, dropped) = {
            let mut inner = self.lock();
            inner.removal_bytes = 0;
            (
                std::mem::take(&mut inner.queue),
                std::mem::take(&mut inner.dropped),
            )
        };
        if batch.is_empty() && dropped == 0 {
            return env.undefined();
        }
        let undefined = env.undefined()?;
        let mut items = Vec::with_capacity(4 * (batch.len() + 1));
        for delivery in batch {
            let (kind, n, key, value) = match delivery {
                Delivery::Loaded { wait, value } => (LOADED, wait, undefined, value.to_js(env)?),
                Delivery::Failed { wait, error } => (FAILED, wait, undefined, error.to_js(env)?),
                Delivery::Retry { wait } => (RETRY, wait, undefined, undefined),
                Delivery::Removed { key, value, cause } => {
                    (REMOVED, cause, key::to_js(env, &key)?, value.to_js(env)?)
                }
            };
            if kind != REMOVED {
                self.wait_ended(env)?;
            }
            items.extend_from_slice(&[env.double(kind as f64)?, env.double(n as f64)?, key, value]);
        }
        if dropped > 0 {
            let (kind, count) = (env.double(OVERFLOW as f64)?, env.double(dropped as f64)?);
            items.extend_from_slice(&[kind, count, undefined, undefined]);
        }
        let array = env.array(&items)?;
        env.call(dispatch, &[array])
    }
}

/// Runs on the owning thread for each signal; `env` is null when the
/// function is being torn down and JS can no longer be called.
unsafe extern "C" fn call_js(
    raw: napi_env,
    dispatch: napi_value,
    context: *mut c_void,
    _data: *mut c_void,
) {
    if raw.is_null() || dispatch.is_null() {
        return;
    }
    // SAFETY: Node runs this on the owning thread with its live environment.
    let env = unsafe { Env::from_raw(raw) };
    // SAFETY: `context` is the reference the threadsafe function owns; it is
    // released by `finalize`, after the last call.
    let port = unsafe { &*(context as *const Port) };
    // A throwing dispatcher leaves its exception pending: Node reports it as
    // uncaught on this thread, as for any callback.
    crate::ffi::guard(env, || port.dispatch(env, dispatch));
}

/// The threadsafe function is gone (closed, or its environment torn down).
unsafe extern "C" fn finalize(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the reference created for the function in `Port::open`.
    let port = unsafe { Arc::from_raw(data as *const Port) };
    let _ = catch_unwind(AssertUnwindSafe(move || {
        let mut inner = port.lock();
        inner.tsfn = None;
        inner.queue.clear();
    }));
}
