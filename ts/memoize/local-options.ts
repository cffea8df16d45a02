// The options of `cached(fn, options)` and `@cached(options)`, checked once
// into a `LocalConfig` when a function is wrapped or a method decorated.

import { describe, Duration, toMillis } from '../core/duration'
import { EntryTtl } from '../core/fetch'
import type { Moka } from '../core/moka'
import { EvictionListener, KNOWN, MokaOptions, optionalFunction, optionObject, validateOptions } from '../core/options'
import type { RetryPolicy } from '../core/singleflight'
import type { AnyFunction } from '../core/memo'
import { enabledOption } from './memoizer'

/** Entries a `cached` function keeps when `maxCapacity` is not given. */
export const DEFAULT_MAX_CAPACITY = 1000
/** First wait before a retry when `retry.backoff` is not given; doubles with each retry. */
export const DEFAULT_BACKOFF = 100

export interface RetryOptions {
  /** Retries after the first failed attempt (an integer ≥ 0). */
  retries: number
  /**
   * Wait before retry `n` (1-based): a duration, the first wait, doubled for
   * each further retry (default 100 ms: 100, 200, 400, …); or a function
   * `(n, error) => ms`.
   */
  backoff?: Duration | ((retry: number, error: unknown) => number)
}

export interface CachedOptions<A extends readonly unknown[] = any[], R = any, K = unknown> {
  /** Entries (or total weight with a `weigher`) to keep. Default 1000. */
  maxCapacity?: number
  /**
   * Time to live of a result: a duration, or a function of the result giving
   * its own lifetime (e.g. a token's). A function returning a number ≤ 0
   * leaves the result uncached; `undefined` means no per-entry limit.
   */
  ttl?: EntryTtl<Awaited<R>>
  /** Time to idle of a result. */
  tti?: Duration
  /** See `MokaOptions.policy`. */
  policy?: 'tinyLfu' | 'lru' | 'adaptive'
  weigher?: (key: K, value: Awaited<R>) => number
  evictionListener?: EvictionListener<K, Awaited<R>>
  hash?: (key: K) => unknown
  equals?: (a: K, b: K) => boolean
  /** The cache key of a call. Default: the arguments (see "Keys" in docs/memoize.md). */
  key?: (...args: A) => K
  /**
   * Concurrent calls for one key share one in-flight promise. Default true;
   * false lets each miss call the function.
   */
  waitConcurrent?: boolean
  /** Also cache failures (throws and rejections), for their own `ttl`. */
  cacheErrors?: { ttl: Duration }
  /**
   * Rejects every waiter of a load with a `TimeoutError` when the function's
   * promise takes longer. A late result still fills the cache if nothing
   * else did. Async functions only.
   */
  timeout?: Duration
  /**
   * Once a result is older than this, a call returns it at once and starts
   * one background refresh; the new result replaces it. Must be shorter
   * than `ttl`.
   */
  refreshAfter?: Duration
  /**
   * When a background refresh fails, the old result is still served for
   * this long (re-stored with this time to live; the `evictionListener` sees
   * a `'replaced'`). Without it, a failed refresh drops the result. Needs
   * `refreshAfter`.
   */
  staleIfError?: Duration
  /** Retries a rejected load: a number of retries, or `{ retries, backoff }`. Async functions only. */
  retry?: number | RetryOptions
  /** When false (or a function returning false), calls go straight to the function. */
  enabled?: boolean | (() => boolean)
}

/** Counters of one cached function (or one instance's cached method). */
export interface CacheInfo {
  /** Calls answered from the cache: fresh or stale results and cached errors. */
  hits: number
  /** Calls that waited for a load, started or joined. */
  misses: number
  /** hits / (hits + misses), or 0 before the first call. */
  hitRate: number
  /** Misses that joined a load already in flight. */
  coalesced: number
  /** Calls of the wrapped function: first attempts, retries and refreshes. */
  loads: number
  /** Loads that failed, after their retries. */
  errors: number
  /** Loads whose waiters were rejected with a `TimeoutError`. */
  timeouts: number
  /** Background refreshes started. */
  refreshes: number
  /** Entries held. */
  size: number
  maxCapacity: number
  /** Loads in flight now. */
  inFlight: number
}

export type CachedFunction<F extends AnyFunction, K = unknown> = F & {
  /** The cache holding the results (resolved values for async functions). */
  readonly cache: Moka<K, Awaited<ReturnType<F>>>
  cacheInfo(): CacheInfo
  /** Empties the cache, forgets the loads in flight and resets the counters. */
  cacheClear(): void
  /** Drops the result for these arguments (and keeps a load in flight for them from being stored). */
  invalidate(...args: Parameters<F>): boolean
  /** The function that was wrapped. */
  readonly uncached: F
}

/** Options checked once, when a function is wrapped or a method decorated. */
export interface LocalConfig {
  moka: MokaOptions<unknown, unknown>
  /** Set on each stored entry: a `ttl` function, or the `ttl`/`tti` when the cache has none. */
  entryTtl: EntryTtl<unknown> | undefined
  entryTti: number | undefined
  key: AnyFunction | undefined
  waitConcurrent: boolean
  errorTtl: number | undefined
  timeout: number | undefined
  refreshAfter: number | undefined
  staleIfError: number | undefined
  retry: RetryPolicy | undefined
  enabled: boolean | (() => boolean)
}

const CACHED_OPTIONS: ReadonlySet<string> = new Set([
  ...KNOWN,
  'key',
  'waitConcurrent',
  'cacheErrors',
  'timeout',
  'refreshAfter',
  'staleIfError',
  'retry',
  'enabled',
])

export function configureLocal(options: unknown): LocalConfig {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`cached options must be an object, got ${describe(options)}`)
  }
  const o = options as Record<string, unknown>
  if (o.tier !== undefined) throw new TypeError('tier: memoize through a TieredCache with cached(fn, { tier }); @cached() keeps one cache per instance')
  const ttlFunction = typeof o.ttl === 'function' ? (o.ttl as (value: unknown) => Duration | undefined) : undefined
  const v = validateOptions<unknown, unknown>(
    { ...o, maxCapacity: o.maxCapacity ?? DEFAULT_MAX_CAPACITY, ttl: ttlFunction === undefined ? o.ttl : undefined },
    CACHED_OPTIONS,
  )
  const refreshAfter = toMillis(o.refreshAfter, 'refreshAfter')
  const staleIfError = toMillis(o.staleIfError, 'staleIfError')
  if (staleIfError !== undefined && refreshAfter === undefined) {
    throw new TypeError('staleIfError keeps serving a result whose refresh failed: it needs refreshAfter')
  }
  if (refreshAfter !== undefined && v.ttl !== undefined && refreshAfter >= v.ttl) {
    throw new RangeError(`refreshAfter (${refreshAfter} ms) must be shorter than ttl (${v.ttl} ms): entries would expire before a refresh`)
  }
  const enabled = enabledOption(o.enabled)
  const { waitConcurrent = true } = o
  if (typeof waitConcurrent !== 'boolean') throw new TypeError(`waitConcurrent must be a boolean, got ${describe(waitConcurrent)}`)
  // A stale result is re-stored past its ttl when a refresh fails; a cache-wide
  // ttl cannot be extended per entry, so such caches set ttl/tti per entry.
  const perEntry = staleIfError !== undefined
  return {
    moka: {
      maxCapacity: v.maxCapacity,
      ttl: perEntry ? undefined : v.ttl,
      tti: perEntry ? undefined : v.tti,
      policy: v.adaptive ? 'adaptive' : v.lru ? 'lru' : 'tinyLfu',
      perEntryExpiry: perEntry || ttlFunction !== undefined,
      weigher: v.weigher,
      evictionListener: v.evictionListener,
      hash: v.hash,
      equals: v.equals,
    },
    entryTtl: ttlFunction ?? (perEntry ? v.ttl : undefined),
    entryTti: perEntry ? v.tti : undefined,
    key: optionalFunction(o.key, 'key') as AnyFunction | undefined,
    waitConcurrent,
    errorTtl: errorTtl(o.cacheErrors),
    timeout: toMillis(o.timeout, 'timeout'),
    refreshAfter,
    staleIfError,
    retry: retryPolicy(o.retry),
    enabled,
  }
}

function errorTtl(value: unknown): number | undefined {
  if (value === undefined || value === false) return undefined
  const o = optionObject(value, 'cacheErrors', ['ttl'], "cacheErrors must be an object such as { ttl: '5s' }")
  const ttl = toMillis(o.ttl, 'cacheErrors.ttl')
  if (ttl === undefined) throw new TypeError('cacheErrors.ttl is required: how long a failure is remembered')
  return ttl
}

function retryPolicy(value: unknown): RetryPolicy | undefined {
  if (value === undefined) return undefined
  const o = optionObject(
    typeof value === 'number' ? { retries: value } : value,
    'retry',
    ['retries', 'backoff'],
    'retry must be a number of retries or { retries, backoff }',
  )
  const { retries, backoff } = o
  if (typeof retries !== 'number') throw new TypeError(`retry.retries must be a number, got ${describe(retries)}`)
  if (!Number.isSafeInteger(retries) || retries < 0) throw new RangeError(`retry.retries must be an integer ≥ 0, got ${retries}`)
  if (typeof backoff === 'function') {
    return { retries, backoff: (n, error) => delayOf(backoff(n, error)) }
  }
  const first = toMillis(backoff, 'retry.backoff') ?? DEFAULT_BACKOFF
  return { retries, backoff: (n) => first * 2 ** (n - 1) }
}

function delayOf(value: unknown): number {
  if (typeof value === 'number' && value >= 0 && value !== Infinity) return value
  return toMillis(value, 'retry.backoff') ?? 0
}
