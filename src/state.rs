//! The state array shared with JS (`[count, more, events...]`, see
//! `protocol`), in memory the addon owns.
//!
//! JS sees it as a `Uint32Array` over an external `ArrayBuffer`. The memory
//! is counted: the cache's handle holds one count and the buffer's
//! finalizer another, so it lives until both are gone, whatever JS does
//! with the buffer. A publish writes through the handle's pointer without a
//! Node-API call: reading the array back from JS on each publish (a
//! reference lookup, `napi_get_typedarray_info` and a detach check) cost
//! about 600 instructions a publish, which a listening write makes every time.
//!
//! Only the raw binding hands the array to JS other than the `Moka` that
//! owns it. Should that JS detach the buffer or transfer it to another
//! thread, the cache's events go where its own JS no longer reads them:
//! its slots are never released, but no memory is freed under a writer.
//! The cells are atomics because a transferred buffer can be read by
//! another thread while this one writes.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use napi::sys::{self, napi_env, napi_value};

use crate::ffi::{napi_call, Env, JsResult};
use crate::protocol::STATE_HEADER;
#[cfg(test)]
use crate::protocol::{STATE_COUNT, STATE_MORE};

pub struct StateArray {
    cells: Box<[AtomicU32]>,
}

impl StateArray {
    /// An array of `len` zeroed cells (at least the header).
    pub fn new(len: usize) -> Arc<StateArray> {
        let cells = (0..len.max(STATE_HEADER))
            .map(|_| AtomicU32::new(0))
            .collect();
        Arc::new(StateArray { cells })
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    #[inline]
    pub fn get(&self, at: usize) -> u32 {
        self.cells[at].load(Ordering::Relaxed)
    }

    #[inline]
    pub fn set(&self, at: usize, value: u32) {
        self.cells[at].store(value, Ordering::Relaxed);
    }

    /// The events published and not yet taken: what JS reads after a call.
    /// `count` is clamped as `Events::publish` clamps it.
    #[cfg(test)]
    pub fn published(&self) -> Vec<u32> {
        let count = (self.get(STATE_COUNT) as usize).min(self.len() - STATE_HEADER);
        (STATE_HEADER..STATE_HEADER + count)
            .map(|at| self.get(at))
            .collect()
    }

    /// Takes the published events, as JS does: `count` back to 0; returns
    /// them, and whether more wait to be published.
    #[cfg(test)]
    pub fn take(&self) -> (Vec<u32>, bool) {
        let events = self.published();
        self.set(STATE_COUNT, 0);
        (events, self.get(STATE_MORE) != 0)
    }

    /// A `Uint32Array` over this array's cells, for JS.
    pub fn expose(self: &Arc<Self>, env: Env) -> JsResult<napi_value> {
        let bytes = self.len() * std::mem::size_of::<AtomicU32>();
        let data = self.cells.as_ptr() as *mut c_void;
        // The finalizer's count. Should Node fail to make the buffer, it may
        // or may not have run the finalizer, so the count is then left to
        // leak (one array, on an error Node does not give for this size)
        // rather than risk a second release.
        let hint = Arc::into_raw(Arc::clone(self)) as *mut c_void;
        let mut buffer = ptr::null_mut();
        napi_call!(
            env,
            napi_create_external_arraybuffer(data, bytes, Some(release), hint, &mut buffer)
        )?;
        let mut array = ptr::null_mut();
        let kind = sys::TypedarrayType::uint32_array;
        napi_call!(
            env,
            napi_create_typedarray(kind, self.len(), buffer, 0, &mut array)
        )?;
        Ok(array)
    }
}

/// The buffer's finalizer: gives back the count `expose` took.
unsafe extern "C" fn release(_env: napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the count `expose` took with `Arc::into_raw`, which
    // Node hands to this finalizer once. Dropping atomics cannot unwind.
    drop(unsafe { Arc::from_raw(hint as *const StateArray) });
}
