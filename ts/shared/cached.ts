// `cached(fn, { shared: 'name' })`: memoizing through a `SharedMoka`, so that
// a function decorated the same way in every worker loads each key once per
// process (async functions: one load per key across threads, as `fetch`).
// This room gives the memoizer a backend (core/memo.ts's `MemoPlan`); the
// public `cached` plugs it in (ts/cached.ts).

import type { SerializerOption } from '../codec/serializer'
import { publishedLoader, timedLoad } from '../core/diagnostics'
import { describe, Duration, toMillis } from '../core/duration'
import { ABSENT, EntryTtl, entryOptions, SKIP } from '../core/fetch'
import { argsId } from '../core/keys'
import type { AnyFunction, MemoBackend, MemoPlan } from '../core/memo'
import type { SetOptions } from '../core/options'
import { optionalFunction } from '../core/options'
import { isThenable } from '../core/singleflight'
import type { SharedKey } from './native'
import { SharedMoka } from './shared-moka'


export interface SharedCachedOptions<A extends readonly unknown[] = unknown[], R = unknown> {
  /** Name of the `SharedMoka` holding the results; every thread using it must pass the same options. */
  shared: string
  /** Entries (or bytes with `weigher: 'bytes'`) to keep. Default 1000. */
  maxCapacity?: number
  /** Time to live of a result: a duration, or a function of the result (≤ 0: not cached). */
  ttl?: EntryTtl<Awaited<R>>
  tti?: Duration
  policy?: 'tinyLfu' | 'lru'
  weigher?: 'bytes'
  serializer?: SerializerOption<Awaited<R>>
  /** The cache key of a call (a string, number, bigint or boolean). Default: a canonical string of the arguments, which must then be primitives. */
  key?: (...args: A) => SharedKey
  /** Async functions: rejects the callers of this thread after this long, and lets another thread load. */
  timeout?: Duration
}

/** Counters of one shared cached function, on this thread. */
export interface SharedCacheInfo {
  /** Calls answered from the cache. */
  hits: number
  /** Calls that found nothing cached (and loaded, or waited for a load). */
  misses: number
  hitRate: number
  /** Calls of the wrapped function on this thread. */
  loads: number
  /** Calls of the wrapped function that threw or rejected. */
  errors: number
  /** Entries in the shared cache (every thread's). */
  size: number
  maxCapacity: number
  /** Loads running now, in every thread. */
  inFlight: number
}

export type SharedCachedFunction<F extends AnyFunction> = F & {
  /** The shared cache holding the results (resolved values for async functions). */
  readonly cache: SharedMoka<SharedKey, Awaited<ReturnType<F>>>
  cacheInfo(): SharedCacheInfo
  /** Empties the shared cache, for every thread, and resets this thread's counters. */
  cacheClear(): void
  /** Drops the result for these arguments, for every thread. */
  invalidate(...args: Parameters<F>): boolean
  readonly uncached: F
}

const OPTIONS = ['shared', 'maxCapacity', 'ttl', 'tti', 'policy', 'weigher', 'serializer', 'key', 'timeout']


/** The key of a call without a `key` option: the canonical string of its (primitive) arguments. */
function argumentsKey(args: readonly unknown[]): string {
  for (const arg of args) {
    if (arg !== null && (typeof arg === 'object' || typeof arg === 'function' || typeof arg === 'symbol')) {
      throw new TypeError(
        `a function cached in a SharedMoka takes primitive arguments only (objects are not the same across threads), got ${describe(arg)}; give a key option`,
      )
    }
  }
  return argsId(args)
}

/** The options of `cached(fn, { shared })`, checked once. */
interface SharedConfig {
  cache: SharedMoka<SharedKey, unknown>
  maxCapacity: number
  keyOf(args: unknown[]): SharedKey
  entryTtl: EntryTtl<unknown> | undefined
  timeout: number | undefined
}

function configureShared(options: Record<string, unknown>): SharedConfig {
  if (typeof options.shared !== 'string' || options.shared === '') {
    throw new TypeError(`shared must be the name of a SharedMoka (a non-empty string), got ${describe(options.shared)}`)
  }
  for (const name of Object.keys(options)) {
    if (!OPTIONS.includes(name)) {
      throw new TypeError(`option ${JSON.stringify(name)} is not supported with shared (supported: ${OPTIONS.join(', ')})`)
    }
  }
  const ttlFunction = typeof options.ttl === 'function' ? (options.ttl as (value: unknown) => Duration | undefined) : undefined
  const maxCapacity = (options.maxCapacity ?? 1000) as number
  const cache = new SharedMoka<SharedKey, unknown>({
    name: options.shared as string,
    maxCapacity,
    ttl: ttlFunction === undefined ? (options.ttl as Duration | undefined) : undefined,
    tti: options.tti as Duration | undefined,
    policy: options.policy as 'tinyLfu' | 'lru' | undefined,
    weigher: options.weigher as 'bytes' | undefined,
    serializer: options.serializer as SerializerOption<unknown> | undefined,
    perEntryExpiry: ttlFunction !== undefined,
  })
  const keyFn = optionalFunction(options.key, 'key') as ((...args: unknown[]) => SharedKey) | undefined
  return {
    cache,
    maxCapacity,
    keyOf: (args) => (keyFn === undefined ? argumentsKey(args) : keyFn(...args)),
    entryTtl: ttlFunction as EntryTtl<unknown> | undefined,
    timeout: toMillis(options.timeout, 'timeout'),
  }
}

const zero = () => ({ hits: 0, misses: 0, loads: 0, errors: 0 })

/** The memoizer's backend over a `SharedMoka`. */
class SharedMemo implements MemoBackend {
  n = zero()
  async: boolean

  constructor(
    readonly fn: AnyFunction,
    readonly c: SharedConfig,
  ) {
    this.async = (fn as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'AsyncFunction'
  }

  /** A call of the function: counted, failures too. */
  load(thisArg: unknown, args: unknown[]): () => unknown {
    return () => {
      this.n.loads++
      try {
        const result = this.fn.apply(thisArg, args)
        if (isThenable(result)) return Promise.resolve(result).catch((error: unknown) => (this.n.errors++, Promise.reject(error)))
        return result
      } catch (error) {
        this.n.errors++
        throw error
      }
    }
  }

  call(key: SharedKey, thisArg: unknown, args: unknown[]): unknown {
    const { cache, entryTtl, timeout } = this.c
    const value = cache.get(key, ABSENT)
    if (value !== ABSENT) {
      this.n.hits++
      return this.async ? Promise.resolve(value) : value
    }
    this.n.misses++
    if (this.async) return cache.fetch(key, this.load(thisArg, args), { ttl: entryTtl, timeout })
    // A miss of a sync function loads here, not in the cache: its load is published as the cache's, as fetch's are.
    const result = timedLoad(cache, key, this.load(thisArg, args))
    if (isThenable(result)) {
      // A function that turned out async: from now on every miss is a cross-thread fetch.
      this.async = true
      return cache.fetch(key, publishedLoader(() => result), { ttl: entryTtl, timeout })
    }
    const set: SetOptions | undefined | typeof SKIP = entryOptions(entryTtl, undefined, result)
    if (set === SKIP) return result
    if (set === undefined) return cache.getWith(key, publishedLoader(() => result))
    cache.set(key, result, set)
    return result
  }

  invalidate(key: SharedKey): boolean {
    return this.c.cache.delete(key)
  }
}

/** The memoizer's plan for `fn` cached in the `SharedMoka` that `options.shared` names. */
export function sharedPlan(fn: AnyFunction, options: Record<string, unknown>): MemoPlan {
  const c = configureShared(options)
  const memo = new SharedMemo(fn, c)
  const { cache } = c
  return {
    config: { keyOf: c.keyOf, enabled: true },
    backend: memo,
    properties: { cache: { value: cache, enumerable: true } },
    methods: {
      cacheInfo(): SharedCacheInfo {
        const { n } = memo
        const calls = n.hits + n.misses
        return { ...n, hitRate: calls === 0 ? 0 : n.hits / calls, size: cache.size, maxCapacity: c.maxCapacity, inFlight: cache.loadsInFlight }
      },
      cacheClear(): void {
        cache.clear()
        memo.n = zero()
      },
    },
  }
}
