//! One cache's native side: the core, the state array, and the
//! external-memory figure reported to V8.
//!
//! The thread's table of caches (`externals`) owns the handle until the
//! cache's `External` is collected, so the core lives as long as JS can
//! pass the cache to a method. `dispose()` frees the core at once; later
//! calls get an `Error`. The state array is created here; the handle holds
//! a count of its memory and publishes through it (see `state`).

use std::cell::{Cell, UnsafeCell};
use std::ops::Deref;
use std::sync::Arc;

use napi::sys::{napi_env, napi_value};

use crate::core::{Core, Extra};
use crate::ffi::{Env, JsError, JsResult};
use crate::protocol::STATE_LENGTH;
use crate::state::StateArray;

/// Native bytes per entry reported to V8: moka's entry, key and value and
/// their share of moka's tables, in glibc chunks (`cargo bench --bench
/// entry_bytes`: 345 at 1M entries).
pub const ENTRY_BYTES: i64 = 345;
/// Report only changes larger than this, so that calls stay cheap.
const REPORT_STEP: i64 = 256 << 10;

pub struct Handle<D: Extra> {
    env: napi_env,
    core: CoreCell<D>,
    state: Arc<StateArray>,
    reported: Cell<i64>,
}

impl<D: Extra> Handle<D> {
    /// A handle on `core` with a new state array; returns the array too.
    pub fn new(env: Env, core: Core<D>) -> JsResult<(Handle<D>, napi_value)> {
        let state = StateArray::new(STATE_LENGTH);
        let array = state.expose(env)?;
        let handle = Handle {
            env: env.raw(),
            core: CoreCell::new(core),
            state,
            reported: Cell::new(0),
        };
        Ok((handle, array))
    }

    /// The core, unless the cache was disposed. Inline: every method starts here.
    #[inline(always)]
    pub fn core(&self) -> JsResult<CoreRef<'_, D>> {
        self.core.borrow()
    }

    /// Frees the core now; a second call does nothing.
    pub fn dispose(&self, env: Env) -> JsResult<()> {
        let core = self
            .core
            .close()
            .ok_or_else(|| JsError::Internal("moka-js: the cache is in use".into()))?;
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
        core: CoreRef<'_, D>,
        writes: bool,
        result: JsResult<napi_value>,
    ) -> JsResult<napi_value> {
        // A write queues a release on most calls (of the value it replaced),
        // which waits for a batch: it asks whether the queue would be handed
        // over. A read seldom queues anything: it asks only whether it did.
        let publish = if writes {
            self.publish_due(&core)
        } else {
            core.events.pending()
        };
        if publish || core.wants_adapt() || writes && self.report_due(&core) {
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
        core: CoreRef<'_, D>,
        writes: bool,
        result: JsResult<napi_value>,
    ) -> JsResult<napi_value> {
        self.publish(&core);
        if writes {
            self.report_entries(env, &core);
        }
        let adapt = core.wants_adapt();
        drop(core);
        if adapt {
            self.adapt();
        }
        result
    }

    /// Hands the events due to JS, into the state array: memory writes, no
    /// Node-API call, so the accelerator's calls do it too.
    #[inline]
    pub fn publish(&self, core: &Core<D>) {
        if core.events.pending() && core.publish_now() {
            core.events.publish(&self.state);
        }
    }

    /// Whether [`Handle::publish`] would hand anything over now: events are
    /// queued, and the core would publish them (releases wait for a batch
    /// when nobody listens; see `Core::would_publish`, which `publish_now`
    /// answers too, resetting only what is already reset when it is false).
    #[inline(always)]
    pub fn publish_due(&self, core: &Core<D>) -> bool {
        core.events.pending() && core.would_publish()
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
    pub fn report_due(&self, core: &Core<D>) -> bool {
        let bytes = core.entry_count() as i64 * ENTRY_BYTES;
        (bytes - self.reported.get()).abs() > REPORT_STEP
    }

    /// Lets the core replace a build (see `Core::adapt`); skipped while a
    /// re-entrant call still borrows the core: the next call retries.
    pub fn adapt(&self) {
        self.core.with_mut(Core::adapt);
    }

    #[inline(never)]
    fn report_memory(&self, env: Env, bytes: i64) {
        env.adjust_external_memory(bytes - self.reported.replace(bytes));
    }
}

/// The core and the calls using it: a `RefCell<Option<Core>>` made for
/// this use, whose shared borrow is one test of a counter (a disposed core
/// is a state of the counter, not a second test of the `Option`) and whose
/// guard is one pointer.
///
/// `repr(C)`, the core first: a borrow's address is the core's, one
/// register where a call kept two.
#[repr(C)]
struct CoreCell<D: Extra> {
    /// `None` only once `uses` is `CLOSED`.
    core: UnsafeCell<Option<Core<D>>>,
    /// How many calls use the core now (below `BUSY`), or `BUSY` while one
    /// has it exclusively, or `CLOSED` once disposed.
    uses: Cell<usize>,
}

const BUSY: usize = usize::MAX - 1;
const CLOSED: usize = usize::MAX;

/// A call's shared borrow of the core (see [`CoreCell`]).
pub struct CoreRef<'a, D: Extra> {
    cell: &'a CoreCell<D>,
}

impl<D: Extra> CoreCell<D> {
    fn new(core: Core<D>) -> Self {
        CoreCell {
            uses: Cell::new(0),
            core: UnsafeCell::new(Some(core)),
        }
    }

    #[inline(always)]
    fn borrow(&self) -> JsResult<CoreRef<'_, D>> {
        let uses = self.uses.get();
        // `BUSY - 1`: a count never reaches `BUSY`.
        if uses >= BUSY - 1 {
            return Err(unavailable(if uses == CLOSED {
                "was disposed"
            } else {
                "is being disposed"
            }));
        }
        self.uses.set(uses + 1);
        Ok(CoreRef { cell: self })
    }

    /// Runs `f` on the core when no call uses it; else nothing (the core
    /// is disposed, or a re-entrant call still uses it).
    fn with_mut(&self, f: impl FnOnce(&mut Core<D>)) {
        if self.uses.get() != 0 {
            return;
        }
        let _busy = Exclusive::new(&self.uses);
        // SAFETY: no `CoreRef` is alive (`uses` was 0) and none can be
        // made while `uses` is `BUSY`, until `_busy` is dropped; the core
        // is `Some` unless `uses` is `CLOSED`.
        if let Some(core) = unsafe { &mut *self.core.get() } {
            f(core);
        }
    }

    /// Takes the core out for good: `None` when a call uses it now, else
    /// the core (itself `None` when it was taken already).
    fn close(&self) -> Option<Option<Core<D>>> {
        match self.uses.get() {
            CLOSED => Some(None),
            0 => {
                self.uses.set(CLOSED);
                // SAFETY: no `CoreRef` is alive (`uses` was 0), no `with_mut`
                // runs (its `uses` is `BUSY`), and none can start once
                // `uses` is `CLOSED`.
                Some(unsafe { &mut *self.core.get() }.take())
            }
            _ => None,
        }
    }
}

/// `uses` is `BUSY` while this lives, and 0 again after, even on a panic.
struct Exclusive<'a>(&'a Cell<usize>);

impl<'a> Exclusive<'a> {
    fn new(uses: &'a Cell<usize>) -> Self {
        uses.set(BUSY);
        Exclusive(uses)
    }
}

impl Drop for Exclusive<'_> {
    fn drop(&mut self) {
        self.0.set(0);
    }
}

impl<D: Extra> Deref for CoreRef<'_, D> {
    type Target = Core<D>;

    #[inline(always)]
    fn deref(&self) -> &Core<D> {
        // SAFETY: while a `CoreRef` is alive, `uses` is neither `BUSY` nor
        // `CLOSED`: nothing has the core mutably, and it is `Some`.
        unsafe { (*self.cell.core.get()).as_ref().unwrap_unchecked() }
    }
}

impl<D: Extra> Drop for CoreRef<'_, D> {
    #[inline(always)]
    fn drop(&mut self) {
        self.cell.uses.set(self.cell.uses.get() - 1);
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
        drop(self.core.core.get_mut().take());
        self.report_memory(env, 0);
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::*;
    use crate::core::Options;

    fn cell() -> CoreCell<()> {
        CoreCell::new(Core::new(&Options::entries(10)))
    }

    /// The message of the error `borrow` gave, or `None` when it lent the core.
    fn refused(cell: &CoreCell<()>) -> Option<String> {
        match cell.borrow() {
            Ok(_) => None,
            Err(e) => match *e {
                JsError::Internal(m) => Some(m),
                other => panic!("not an Error: {other:?}"),
            },
        }
    }

    #[test]
    fn calls_share_the_core_and_close_waits_for_them() {
        let cell = cell();
        let outer = cell.borrow().ok();
        let inner = cell.borrow().ok();
        assert!(outer.is_some() && inner.is_some());
        assert!(cell.close().is_none(), "closed while calls use it");
        let mut adapted = false;
        cell.with_mut(|_| adapted = true);
        assert!(!adapted, "changed while calls use it");
        drop(inner);
        cell.with_mut(|_| adapted = true);
        assert!(!adapted, "changed while the outer call uses it");
        drop(outer);
        cell.with_mut(|_| adapted = true);
        assert!(adapted);
        assert_eq!(refused(&cell), None);
        assert!(matches!(cell.close(), Some(Some(_))));
        assert!(
            matches!(cell.close(), Some(None)),
            "a second close takes nothing"
        );
        assert_eq!(
            refused(&cell).as_deref(),
            Some("moka-js: this cache was disposed")
        );
        cell.with_mut(|_| panic!("a closed core is not lent"));
    }

    #[test]
    fn no_call_borrows_the_core_while_it_changes_even_after_a_panic() {
        let cell = cell();
        let mut during = None;
        cell.with_mut(|_| during = Some(refused(&cell)));
        assert_eq!(
            during.flatten().as_deref(),
            Some("moka-js: this cache is being disposed")
        );
        let panicked = catch_unwind(AssertUnwindSafe(|| cell.with_mut(|_| panic!("inside"))));
        assert!(panicked.is_err());
        assert_eq!(
            refused(&cell),
            None,
            "the core is lent again after the panic"
        );
        assert!(cell.close().is_some());
    }
}
