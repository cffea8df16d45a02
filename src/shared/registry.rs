//! The process-wide registry: one cache per name, shared by every thread.
//!
//! The addon is loaded once per process, so this static is seen by the main
//! thread and every worker. It holds caches weakly: a cache lives while a
//! handle (or a load or snapshot of it) holds it, and the first handle to
//! open a name after that builds a new one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use super::cache::{Options, SharedCache};
use crate::ffi::JsResult;

static CACHES: Mutex<Option<HashMap<Vec<u16>, Weak<SharedCache>>>> = Mutex::new(None);

/// The cache named `name`, built with `options` if no live one exists;
/// otherwise a `TypeError` if `options` differ from the cache's.
pub fn open(name: Vec<u16>, options: Options) -> JsResult<Arc<SharedCache>> {
    let mut caches = CACHES.lock().unwrap_or_else(|p| p.into_inner());
    let caches = caches.get_or_insert_with(HashMap::new);
    let display = String::from_utf16_lossy(&name);
    if let Some(cache) = caches.get(&name).and_then(Weak::upgrade) {
        cache.options.check_attach(&display, &options)?;
        return Ok(cache);
    }
    // Forget the names whose caches are gone.
    caches.retain(|_, weak| weak.strong_count() > 0);
    let cache = Arc::new(SharedCache::new(display, options));
    caches.insert(name, Arc::downgrade(&cache));
    Ok(cache)
}
