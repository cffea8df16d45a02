// `cached(fn, { tier })`: memoizes an async function through a second tier
// shared by processes (a `TieredCache` from `moka-js/tiered`), so every process
// shares its results, its loads (one per key across processes) and its
// refreshes (refreshAfter, staleIfError). The core knows the tier only through
// `CacheTier`, and so does not depend on Redis or its client.

import { dressWrapper } from './args'
import { describe, Duration, toMillis } from './duration'
import type { EntryTtl } from './fetch'
import { hasMethods, optionalFunction, optionObject } from './options'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (this: any, ...args: any[]) => any

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

export interface TierCachedOptions<A extends readonly unknown[] = any[], R = any, T extends CacheTier<Awaited<R>> = CacheTier<Awaited<R>>> {
  /** The tier that holds the results (a `TieredCache`); its keys are strings. */
  tier: T
  /** The key of a call. Default: the function's name and its arguments as JSON (`name:[1,"a"]`). */
  key?: (...args: A) => string
  /** Time to live of a result, or a function of it (≤ 0: not stored). Default: the tier's. */
  ttl?: EntryTtl<Awaited<R>>
  /** Tags of a result, or a function of the arguments giving them. */
  tags?: readonly string[] | ((...args: A) => readonly string[])
  /** Serve a result older than this at once and refresh it in the background (one instance does). */
  refreshAfter?: Duration
  /** Keep a result this long past its ttl and serve it when a reload fails. */
  staleIfError?: Duration
  /** Rejects the waiters of a load that takes longer. */
  timeout?: Duration
  /** When false (or a function returning false), calls go straight to the function. */
  enabled?: boolean | (() => boolean)
}

export type TierCachedFunction<F extends AnyFunction, T extends CacheTier<Awaited<ReturnType<F>>> = CacheTier<Awaited<ReturnType<F>>>> = ((
  ...args: Parameters<F>
) => Promise<Awaited<ReturnType<F>>>) & {
  readonly tier: T
  /** Drops the result for these arguments in every process. */
  invalidate(...args: Parameters<F>): Promise<boolean>
  /** The key a call with these arguments uses. */
  keyOf(...args: Parameters<F>): string
  readonly uncached: F
}

const OPTIONS = ['tier', 'key', 'ttl', 'tags', 'refreshAfter', 'staleIfError', 'timeout', 'enabled']

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

export function cachedThroughTier<F extends AnyFunction>(fn: F, options: unknown): TierCachedFunction<F> {
  const o = optionObject(options, 'cached (with tier)', OPTIONS, 'cached options must be an object')
  const tier = o.tier as CacheTier<Awaited<ReturnType<F>>>
  if (!hasMethods(tier, 'fetch', 'delete')) {
    throw new TypeError(`tier must be a TieredCache (from moka-js/tiered) or an object with fetch(key, loader, options) and delete(key), got ${describe(tier)}`)
  }
  const keyFn = optionalFunction(o.key, 'key') as ((...args: unknown[]) => unknown) | undefined
  if (keyFn === undefined && fn.name === '') throw new TypeError('key is required for an anonymous function: results of several functions share the tier')
  const tagsOption = o.tags
  const tagsFn = typeof tagsOption === 'function' ? (tagsOption as (...args: unknown[]) => readonly string[]) : undefined
  const fixedTags = tagsFn === undefined ? checkTags(tagsOption) : undefined
  const { enabled = true } = o
  if (typeof enabled !== 'boolean' && typeof enabled !== 'function') throw new TypeError(`enabled must be a boolean or a function, got ${describe(enabled)}`)
  if (o.ttl !== undefined && typeof o.ttl !== 'function') toMillis(o.ttl, 'ttl')
  const base: TierFetchOptions<Awaited<ReturnType<F>>> = {
    ttl: o.ttl as EntryTtl<Awaited<ReturnType<F>>> | undefined,
    refreshAfter: toMillis(o.refreshAfter, 'refreshAfter'),
    staleIfError: toMillis(o.staleIfError, 'staleIfError'),
    timeout: toMillis(o.timeout, 'timeout'),
  }
  const keyOf = (args: unknown[]): string => {
    const key = keyFn === undefined ? `${fn.name}:${JSON.stringify(args)}` : keyFn(...args)
    if (typeof key !== 'string') throw new TypeError(`key must return a string (the tier's keys are strings), got ${describe(key)}`)
    return key
  }
  const wrapper = async function (this: unknown, ...args: unknown[]): Promise<Awaited<ReturnType<F>>> {
    if (enabled !== true && (enabled === false || !(enabled as () => boolean)())) return fn.apply(this, args)
    const tags = fixedTags ?? checkTags(tagsFn!(...args))
    return tier.fetch(keyOf(args), () => fn.apply(this, args), { ...base, tags })
  }
  dressWrapper(wrapper, fn, { tier: { value: tier, enumerable: true } })
  return Object.assign(wrapper, {
    invalidate: (...args: unknown[]) => tier.delete(keyOf(args)),
    keyOf: (...args: unknown[]) => keyOf(args),
  }) as unknown as TierCachedFunction<F>
}
