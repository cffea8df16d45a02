// `Moka#fetch`: asynchronous get-or-load with single-flight per key.

import { timedLoad } from './diagnostics'
import { describe, Duration, toMillis } from './duration'
import type { Keying } from './keys'
import { optionObject, SetOptions } from './options'
import { abortReason, flightsOf } from './singleflight'

/** What a loader receives besides the key. */
export interface LoaderContext {
  /** Aborts when every caller waiting for this load has gone, or its timeout fired. */
  signal: AbortSignal
}

/** Computes the value of a missing key; may return the value or a promise of it. */
export type Loader<K, V> = (key: K, context: LoaderContext) => V | PromiseLike<V>

/** Time to live of an entry: a duration, or a function of the value (per-entry expiry from the result). */
export type EntryTtl<V> = Duration | ((value: V) => Duration | undefined)

export interface FetchOptions<V> {
  /** Rejects this caller alone when it aborts; the load goes on for the others. */
  signal?: AbortSignal
  /**
   * When this call starts the load: every waiter is rejected with a
   * `TimeoutError` once the loader has run this long, and the loader's signal
   * aborts (a late result may still fill the cache if nothing else did). When
   * this call joins a load already running: a limit on this caller's wait.
   */
  timeout?: Duration
  /** Time to live of the stored value, or a function of it; a function returning ≤ 0 stores nothing. */
  ttl?: EntryTtl<V>
  /** Time to idle of the stored value. */
  tti?: Duration
}

/** `Moka#get`'s fallback for "absent", never a stored value. */
export const ABSENT: unknown = Symbol('moka-js.absent')

/** Per-entry options for `set` derived from `ttl` and `tti`, or `SKIP` when the value must not be stored. */
export const SKIP = Symbol('moka-js.skip')

export function entryOptions<V>(ttl: EntryTtl<V> | undefined, tti: number | undefined, value: V): SetOptions | undefined | typeof SKIP {
  const duration = typeof ttl === 'function' ? ttl(value) : ttl
  if (typeof duration === 'number' && duration <= 0) return SKIP
  if (duration === undefined) return tti === undefined ? undefined : { tti }
  return { ttl: toMillis(duration, 'ttl'), tti }
}

export function checkFetchOptions<V>(options: unknown): { signal?: AbortSignal; timeout?: number; ttl?: EntryTtl<V>; tti?: number } {
  if (options === undefined) return {}
  const o = optionObject(options, 'fetch', ['signal', 'timeout', 'ttl', 'tti'], 'fetch options must be an object')
  const { signal, ttl } = o
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`)
  }
  if (ttl !== undefined && typeof ttl !== 'function') toMillis(ttl, 'ttl')
  return { signal, timeout: toMillis(o.timeout, 'timeout'), ttl: ttl as EntryTtl<V> | undefined, tti: toMillis(o.tti, 'tti') }
}

/** What `fetchThrough` needs of a cache (a `Moka` is one); typed here so that this module needs no `Moka`. */
export interface FetchTarget<K, V> {
  readonly disposed: boolean
  get(key: K, fallback: V): V
  has(key: K): boolean
  set(key: K, value: V, options?: SetOptions): unknown
}

/**
 * The value of `key` in `cache`, or `loader(key, { signal })`'s, stored and
 * returned. Concurrent calls for one key share one load. A failed load is
 * not stored; its waiters are rejected with its error.
 */
export function fetchThrough<K, V>(
  cache: FetchTarget<K, V>,
  keying: Keying,
  key: K,
  loader: Loader<K, V>,
  options?: FetchOptions<V>,
): Promise<V> {
  if (typeof loader !== 'function') throw new TypeError(`loader must be a function, got ${describe(loader)}`)
  const { signal, timeout, ttl, tti } = checkFetchOptions<V>(options)
  if (signal?.aborted) return Promise.reject(abortReason(signal))
  const value = cache.get(key, ABSENT as V)
  if (value !== ABSENT) return Promise.resolve(value)
  const flights = flightsOf(cache, keying)
  const running = flights.get<V>(key)
  if (running !== undefined) return running.join(signal, timeout)
  const flight = flights.start<V>(key, {
    attempt: (loadSignal) => timedLoad(cache, key, () => loader(key, { signal: loadSignal })),
    timeout,
    onValue: (result, late) => {
      // Disposed during the load: the waiters get the value, nothing is stored.
      if (cache.disposed) return
      // A late result fills the cache only if nothing else did meanwhile.
      if (late && cache.has(key)) return
      const set = entryOptions(ttl, tti, result)
      if (set !== SKIP) cache.set(key, result, set)
    },
  })
  // The starter's timeout is the load's; it needs no personal deadline.
  return flight.join(signal)
}
