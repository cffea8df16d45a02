// The seam between the core and a second tier shared by processes (a
// `TieredCache` from `moka-js/tiered`): what the memoizer asks of a tier, and
// the rules for its keys and tags. The core knows the tier only through
// `CacheTier`, and so does not depend on Redis or its client.

import { describe, Duration } from './duration'
import type { EntryTtl } from './fetch'

/** What a tier's `fetch` is asked for besides the key and the loader. */
export interface TierFetchOptions<V> {
  /** Time to live of a loaded value: a duration, or a function of the value (≤ 0: not stored). Default: the tier's. */
  ttl?: EntryTtl<V>
  /** Tags of a loaded value. */
  tags?: readonly string[]
  /** Once a value is older than this, it is returned at once and one instance reloads it in the background. */
  refreshAfter?: Duration
  /** After its ttl, a value is kept this long and served if a reload fails. */
  staleIfError?: Duration
  /** Rejects every waiter of this load with a `TimeoutError` once it took this long. */
  timeout?: Duration
}

/**
 * A cache that `cached(fn, { tier })` memoizes through: string keys, a
 * get-or-load and a delete. `TieredCache` (from `moka-js/tiered`) is one.
 */
export interface CacheTier<V = any> {
  /** The value of `key`, or else the loader's, stored; concurrent misses share one load. */
  fetch(key: string, loader: (key: string, context: { signal: AbortSignal }) => V | PromiseLike<V>, options?: TierFetchOptions<V>): Promise<V>
  /** Removes `key`; resolves to whether it was removed. */
  delete(key: string): Promise<boolean>
}

/** A key or tag: any well-formed string (lone surrogates would collide once encoded as UTF-8). */
export function checkName(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describe(value)}`)
  // String#isWellFormed is Node 20's, newer than the ES2022 typings.
  if (!(value as string & { isWellFormed(): boolean }).isWellFormed()) throw new TypeError(`${name} must be well-formed Unicode (it holds a lone surrogate)`)
  return value
}

export function checkTags(value: unknown): readonly string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new TypeError(`tags must be an array of strings, got ${describe(value)}`)
  return [...new Set(value.map((tag) => checkName(tag, 'tags[]')))]
}

