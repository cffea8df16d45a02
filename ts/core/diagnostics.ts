// What moka-js publishes on `node:diagnostics_channel` (named `moka-js:…`, as
// lru-cache names its `lru-cache:metrics`). Every publisher first reads the
// channel's `hasSubscribers`, so a process that subscribes to nothing pays one
// property read per operation and builds no message. Counters (hits, misses,
// evictions, entries) are also kept natively: read them with `stats()`, or
// through `moka-js/otel`, which costs nothing per operation.

import { channel } from 'node:diagnostics_channel'

import { isThenable } from './singleflight'

/** The channel names, as `diagnostics_channel.subscribe(name, fn)` takes them. */
export const CHANNELS = {
  hit: 'moka-js:hit',
  miss: 'moka-js:miss',
  load: 'moka-js:load',
  eviction: 'moka-js:eviction',
  tierError: 'moka-js:tier-error',
} as const

/** `moka-js:hit` and `moka-js:miss`: one read (`get`, `getWith`, `getMany`'s each key) of a `Moka` or `SharedMoka`. */
export interface LookupMessage {
  cache: object
  key: unknown
}

/** `moka-js:load`: a loader (or a memoized function) finished. */
export interface LoadMessage {
  /**
   * The `Moka`, `SharedMoka` or `TieredCache` whose `getWith`/`fetch` ran the
   * loader; for a function memoized with `cached` in its own `Moka`, the
   * cached function (its cache may not exist yet).
   */
  cache: object
  key: unknown
  /** Milliseconds from the call to its result (a promise's settlement). */
  duration: number
  /** False when the loader threw or its promise rejected. */
  ok: boolean
  /** What it threw or rejected with; undefined when `ok`. */
  error: unknown
}

/** `moka-js:eviction`: an entry left a `Moka` (also the L1 `Moka` of a `TieredCache`). */
export interface EvictionMessage {
  cache: object
  key: unknown
  value: unknown
  /**
   * Why: `'expired' | 'explicit' | 'replaced' | 'size'` when the cache has an
   * `evictionListener`; `'released'` otherwise (moka tells causes to a listener only).
   */
  cause: string
}

/** `moka-js:tier-error`: a `TieredCache` failure, as `onError` receives it. */
export interface TierErrorMessage {
  cache: object
  error: Error
}

export const hitChannel = channel(CHANNELS.hit)
export const missChannel = channel(CHANNELS.miss)
export const loadChannel = channel(CHANNELS.load)
export const evictionChannel = channel(CHANNELS.eviction)
export const tierErrorChannel = channel(CHANNELS.tierError)

/** Publishes a hit or a miss of `key` in `cache`, when that channel has subscribers. */
export function publishLookup(cache: object, key: unknown, hit: boolean): void {
  const target = hit ? hitChannel : missChannel
  if (target.hasSubscribers) target.publish({ cache, key } satisfies LookupMessage)
}


/**
 * `load()`'s result, published on `moka-js:load` with its duration once it
 * is known (a promise's when it settles) if anyone subscribes. The result is
 * returned as it is: publishing never changes what the caller sees.
 */
export function timedLoad<R>(cache: object, key: unknown, load: () => R): R {
  if (!loadChannel.hasSubscribers) return load()
  const start = performance.now()
  const done = (ok: boolean, error: unknown): void => {
    loadChannel.publish({ cache, key, duration: performance.now() - start, ok, error } satisfies LoadMessage)
  }
  let result: R
  try {
    result = load()
  } catch (error) {
    done(false, error)
    throw error
  }
  if (isThenable(result)) {
    result.then(
      () => done(true, undefined),
      (error: unknown) => done(false, error),
    )
  } else {
    done(true, undefined)
  }
  return result
}

/** Loaders whose loads are published already: a cache that runs one publishes nothing more. */
const published = new WeakSet<object>()

/** `loader`, marked as published already (its call was timed by `timedLoad`). */
export function publishedLoader<F extends object>(loader: F): F {
  // Unmarked, a loader run while nobody subscribes is published by nobody anyway.
  if (loadChannel.hasSubscribers) published.add(loader)
  return loader
}

/** `loader`, or a loader that publishes its loads on `moka-js:load` as `cache`'s. */
export function timedLoader<K, C, R>(cache: object, loader: (key: K, context: C) => R): (key: K, context: C) => R {
  return published.has(loader) ? loader : (key, context) => timedLoad(cache, key, () => loader(key, context))
}

/** `init(key)`, for `getWith`: published on `moka-js:load` as `cache`'s unless `init` was published already. */
export function initialize<K, R>(cache: object, key: K, init: (key: K) => R): R {
  if (!loadChannel.hasSubscribers || published.has(init)) return init(key)
  return timedLoad(cache, key, () => init(key))
}
