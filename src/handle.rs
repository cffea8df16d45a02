//! One cache's native side: the core, the state array, and the
//! external-memory figure reported to V8.
//!
//! The thread's table of caches (`externals`) owns the handle until the
//! cache's `External` is collected, so the core lives as long as JS can
//! pass the cache to a method. `dispose()` frees the core at once; later
//! calls get an `Error`. The state array is created here and held by a
//! strong reference; it is looked up on each publish, so a detached buffer
//! is an error, never a dangling pointer.

use std::cell::{Cell, Ref, RefCell};
use std::ffi::c_void;
use std::ptr;

use napi::sys::{self, napi_env, napi_ref, napi_value};

use crate::core::{Core, Extra};
use crate::ffi::{napi_call, Env, JsError, JsResult, TypedArrayInfo};
use crate::protocol::{STATE_HEADER, STATE_LENGTH};

/// Native bytes per entry reported to V8: moka's entry, key and value and
/// their share of moka's tables, in glibc chunks (`cargo bench --bench
/// entry_bytes`: 345 at 1M entries).
pub const ENTRY_BYTES: i64 = 345;
/// Report only changes larger than this, so that calls stay cheap.
const REPORT_STEP: i64 = 256 << 10;

pub struct Handle<D: Extra> {
    env: napi_env,
    core: RefCell<Option<Core<D>>>,
    state: napi_ref,
    reported: Cell<i64>,
}

impl<D: Extra> Handle<D> {
    /// A handle on `core` with a new state array; returns the array too.
    pub fn new(env: Env, core: Core<D>) -> JsResult<(Handle<D>, napi_value)> {
        let mut data: *mut c_void = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        napi_call!(
            env,
            napi_create_arraybuffer(STATE_LENGTH * 4, &mut data, &mut buffer)
        )?;
        let mut array = ptr::null_mut();
        let kind = sys::TypedarrayType::uint32_array;
        napi_call!(
            env,
            napi_create_typedarray(kind, STATE_LENGTH, buffer, 0, &mut array)
        )?;
        let mut state = ptr::null_mut();
        napi_call!(env, napi_create_reference(array, 1, &mut state))?;
        let handle = Handle {
            env: env.raw(),
            core: RefCell::new(Some(core)),
            state,
            reported: Cell::new(0),
        };
        Ok((handle, array))
    }

    /// The core, unless the cache was disposed. Inline: every method starts here.
    #[inline(always)]
    pub fn core(&self) -> JsResult<Ref<'_, Core<D>>> {
        match self.core.try_borrow() {
            Ok(core) => {
                Ref::filter_map(core, Option::as_ref).map_err(|_| unavailable("was disposed"))
            }
            Err(_) => Err(unavailable("is being disposed")),
        }
    }

    /// Frees the core now; a second call does nothing.
    pub fn dispose(&self, env: Env) -> JsResult<()> {
        let core = self
            .core
            .try_borrow_mut()
            .map_err(|_| JsError::Internal("moka-js: the cache is in use".into()))?
            .take();
        drop(core);
        self.report_memory(env, 0);
        Ok(())
    }

    /// What every method does after its operation, whose outcome is
    /// `result`: hands queued events to JS, updates the memory figure
    /// after a write (`writes`), releases the core and lets it adapt.
    /// Inline and one test on most calls, where there is nothing to do.
    #[inline(always)]
    pub fn finish(
        &self,
        env: Env,
        core: Ref<'_, Core<D>>,
        writes: bool,
        result: JsResult<napi_value>,
    ) -> JsResult<napi_value> {
        if core.events.pending() || core.wants_adapt() || writes && self.report_due(&core) {
            return self.finish_now(env, core, writes, result);
        }
        result
    }

    /// [`Handle::finish`] when there is something to do.
    #[cold]
    #[inline(never)]
    fn finish_now(
        &self,
        env: Env,
        core: Ref<'_, Core<D>>,
        writes: bool,
        result: JsResult<napi_value>,
    ) -> JsResult<napi_value> {
        let published = self.publish(env, &core);
        if writes {
            self.report_entries(env, &core);
        }
        let adapt = core.wants_adapt();
        drop(core);
        if adapt {
            self.adapt();
        }
        let value = result?;
        published?;
        Ok(value)
    }

    /// Hands queued events to JS.
    #[inline]
    fn publish(&self, env: Env, core: &Core<D>) -> JsResult<()> {
        if core.events.pending() {
            self.publish_now(env, core)
        } else {
            Ok(())
        }
    }

    /// Whether `publish` has anything to do: events to hand over now, or a
    /// memory figure to report. Without side effects, for callers that
    /// cannot publish themselves (the accelerator, `fast`).
    #[inline(always)]
    pub fn needs_publish(&self, core: &Core<D>) -> bool {
        (core.events.pending() && core.would_publish()) || self.report_due(core)
    }

    #[inline(never)]
    fn publish_now(&self, env: Env, core: &Core<D>) -> JsResult<()> {
        if core.publish_now() {
            self.with_state(env, |state| core.events.publish(state))?;
        }
        Ok(())
    }

    /// Updates the memory figure V8 is told; called after the methods that
    /// write or run maintenance. Reads skip it: they add no entry, and the
    /// entries their maintenance removes are reported by the next write.
    #[inline(always)]
    fn report_entries(&self, env: Env, core: &Core<D>) {
        if self.report_due(core) {
            self.report_memory(env, core.entry_count() as i64 * ENTRY_BYTES);
        }
    }

    /// Whether the memory figure V8 was told is off by more than a step.
    #[inline(always)]
    fn report_due(&self, core: &Core<D>) -> bool {
        let bytes = core.entry_count() as i64 * ENTRY_BYTES;
        (bytes - self.reported.get()).abs() > REPORT_STEP
    }

    /// Lets the core replace a build (see `Core::adapt`); skipped while a
    /// re-entrant call still borrows the core: the next call retries.
    pub fn adapt(&self) {
        if let Ok(mut core) = self.core.try_borrow_mut() {
            if let Some(core) = core.as_mut() {
                core.adapt();
            }
        }
    }

    #[inline(never)]
    fn report_memory(&self, env: Env, bytes: i64) {
        env.adjust_external_memory(bytes - self.reported.replace(bytes));
    }

    /// Runs `f` on the state array's memory, checked to be what `new` made.
    fn with_state(&self, env: Env, f: impl FnOnce(&mut [u32])) -> JsResult<()> {
        let mut array = ptr::null_mut();
        napi_call!(env, napi_get_reference_value(self.state, &mut array))?;
        let info = env.typed_array_info(array)?;
        let Some(TypedArrayInfo {
            kind,
            len,
            data,
            buffer,
        }) = info
        else {
            return Err(JsError::Internal(
                "moka-js: the cache's state is not a typed array".into(),
            )
            .into());
        };
        let mut detached = false;
        napi_call!(env, napi_is_detached_arraybuffer(buffer, &mut detached))?;
        if detached
            || data.is_null()
            || kind != sys::TypedarrayType::uint32_array
            || len <= STATE_HEADER
            || len > STATE_LENGTH
        {
            return Err(JsError::Internal(
                "moka-js: the cache's state array was detached; events stay queued".into(),
            )
            .into());
        }
        // SAFETY: `data` is the live backing store of the non-detached,
        // non-shared ArrayBuffer this handle created (Node-API cannot make it
        // shared or resizable), holding `len` aligned `u32`s. No JS runs while
        // the slice is alive, so nothing else can touch or detach it.
        let state = unsafe { std::slice::from_raw_parts_mut(data.cast::<u32>(), len) };
        f(state);
        Ok(())
    }
}

/// The error of a method called on a cache that `what` (kept out of line).
#[cold]
#[inline(never)]
fn unavailable(what: &str) -> Box<JsError> {
    JsError::Internal(format!("moka-js: this cache {what}")).into()
}

impl<D: Extra> Drop for Handle<D> {
    fn drop(&mut self) {
        // SAFETY: the cache's `External` is being finalized on the thread of
        // `env`, which is still alive (finalizers run before the environment
        // is torn down).
        let env = unsafe { Env::from_raw(self.env) };
        drop(self.core.get_mut().take());
        self.report_memory(env, 0);
        // SAFETY: `state` was created by this handle and is deleted once.
        unsafe { sys::napi_delete_reference(self.env, self.state) };
    }
}
