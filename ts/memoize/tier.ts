// `cached(fn, { tier })`: memoizes an async function through a second tier
// shared by processes (a `TieredCache` from `moka-js/tiered`), so every process
// shares its results, its loads (one per key across processes) and its
// refreshes (refreshAfter, staleIfError).

import { type CacheTier, checkTags, type TierFetchOptions } from '../core/tier'
import { describe, Duration, toMillis } from '../core/duration'
import type { EntryTtl } from '../core/fetch'
import { hasMethods, optionalFunction, optionObject } from '../core/options'
import type { AnyFunction, MemoBackend } from '../core/memo'
import { enabledOption, memoize } from './memoizer'

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

/** The options of `cached(fn, { tier })`, checked once. */
interface TierConfig<V> {
  tier: CacheTier<V>
  keyOf(args: unknown[]): string
  enabled: boolean | (() => boolean)
  /** The tags of a call: fixed, or a function of its arguments. */
  tagsOf(args: unknown[]): readonly string[]
  /** What every fetch is asked for besides its tags. */
  fetch: TierFetchOptions<V>
}

function configureTier<V>(fn: AnyFunction, options: unknown): TierConfig<V> {
  const o = optionObject(options, 'cached (with tier)', OPTIONS, 'cached options must be an object')
  const tier = o.tier as CacheTier<V>
  if (!hasMethods(tier, 'fetch', 'delete')) {
    throw new TypeError(`tier must be a TieredCache (from moka-js/tiered) or an object with fetch(key, loader, options) and delete(key), got ${describe(tier)}`)
  }
  const keyFn = optionalFunction(o.key, 'key') as ((...args: unknown[]) => unknown) | undefined
  if (keyFn === undefined && fn.name === '') throw new TypeError('key is required for an anonymous function: results of several functions share the tier')
  const tagsOption = o.tags
  const tagsFn = typeof tagsOption === 'function' ? (tagsOption as (...args: unknown[]) => readonly string[]) : undefined
  const fixedTags = tagsFn === undefined ? checkTags(tagsOption) : undefined
  const enabled = enabledOption(o.enabled)
  if (o.ttl !== undefined && typeof o.ttl !== 'function') toMillis(o.ttl, 'ttl')
  return {
    tier,
    keyOf(args) {
      const key = keyFn === undefined ? `${fn.name}:${JSON.stringify(args)}` : keyFn(...args)
      if (typeof key !== 'string') throw new TypeError(`key must return a string (the tier's keys are strings), got ${describe(key)}`)
      return key
    },
    enabled,
    tagsOf: (args) => fixedTags ?? checkTags(tagsFn!(...args)),
    fetch: {
      ttl: o.ttl as EntryTtl<V> | undefined,
      refreshAfter: toMillis(o.refreshAfter, 'refreshAfter'),
      staleIfError: toMillis(o.staleIfError, 'staleIfError'),
      timeout: toMillis(o.timeout, 'timeout'),
    },
  }
}

/** The memoizer's backend over a second tier: the tier does the rest (single-flight across processes, refreshes). */
class TierMemo<V> implements MemoBackend {
  readonly async = true

  constructor(
    readonly fn: AnyFunction,
    readonly c: TierConfig<V>,
  ) {}

  call(key: string, thisArg: unknown, args: unknown[]): Promise<V> {
    return this.c.tier.fetch(key, () => this.fn.apply(thisArg, args) as V, { ...this.c.fetch, tags: this.c.tagsOf(args) })
  }

  invalidate(key: string): Promise<boolean> {
    return this.c.tier.delete(key)
  }
}

export function cachedThroughTier<F extends AnyFunction>(fn: F, options: unknown): TierCachedFunction<F> {
  const c = configureTier<Awaited<ReturnType<F>>>(fn, options)
  return memoize(fn, {
    config: { keyOf: c.keyOf, enabled: c.enabled, alwaysAsync: true },
    backend: new TierMemo(fn, c),
    properties: { tier: { value: c.tier, enumerable: true } },
    methods: { keyOf: (...args: unknown[]) => c.keyOf(args) },
  }) as unknown as TierCachedFunction<F>
}
