//! A snapshot of a shared cache's live entries, for iteration and
//! `invalidateIf`. It holds the entries themselves (reference-counted), so
//! `removeIfUnchanged(i)` removes entry `i` only while the cache still holds
//! that very value: one replaced or removed meanwhile is spared.

use std::rc::Rc;
use std::sync::Arc;

use napi::sys::napi_value;

use super::cache::SharedCache;
use super::js::{callback, EnvExt};
use super::key::{self, Key};
use super::value::Value;
use crate::ffi::{range_error, Args, Callback, Env, JsResult};

pub struct Snapshot {
    cache: Arc<SharedCache>,
    entries: Vec<(Arc<Key>, Value)>,
}

impl Snapshot {
    pub fn to_js(env: Env, cache: Arc<SharedCache>) -> JsResult<napi_value> {
        let entries = cache.snapshot();
        let snapshot = Rc::new(Snapshot { cache, entries });
        env.methods(&snapshot, METHODS)
    }

    fn entry<const N: usize>(&self, env: Env, args: &Args<N>) -> JsResult<&(Arc<Key>, Value)> {
        let i = env.get_f64(env.arg(args, 0)?, "index")?;
        if !(i >= 0.0 && i.fract() == 0.0 && i < self.entries.len() as f64) {
            return range_error(format!(
                "index must be an integer in [0, {}), got {i}",
                self.entries.len()
            ));
        }
        Ok(&self.entries[i as usize])
    }
}

callback!(length, Snapshot, 0, |env, snapshot, _args| {
    env.double(snapshot.entries.len() as f64)
});

callback!(key_at, Snapshot, 1, |env, snapshot, args| {
    key::to_js(env, &snapshot.entry(env, &args)?.0)
});

callback!(value_at, Snapshot, 1, |env, snapshot, args| {
    snapshot.entry(env, &args)?.1.to_js(env)
});

callback!(remove_if_unchanged, Snapshot, 1, |env, snapshot, args| {
    let (key, value) = snapshot.entry(env, &args)?;
    env.boolean(snapshot.cache.remove_if_same(key, value))
});

const METHODS: &[(&str, Callback)] = &[
    ("length", length),
    ("key", key_at),
    ("value", value_at),
    ("removeIfUnchanged", remove_if_unchanged),
];
