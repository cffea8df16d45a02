// `cached(fn, options)` and the `@cached(options)` method decorator.

import { argsKey, dressWrapper } from './args'
import { timedLoad } from '../core/diagnostics'
import { describe, Duration, toMillis } from '../core/duration'
import { ABSENT, EntryTtl, entryOptions, SKIP } from '../core/fetch'
import { Keying } from '../core/keys'
import { LazyMoka } from './lazy'
import { disposedError, type Moka } from '../core/moka'
import { refuseObservable } from './observable'
import { EvictionListener, KNOWN, MokaOptions, optionalFunction, optionObject, validateOptions } from '../core/options'
import { cachedShared, isShared, SharedCachedFunction, SharedCachedOptions } from './shared'
import { adoptFlights, Flights, isThenable, RetryPolicy, TimeoutError } from '../core/singleflight'
import type { CacheTier } from '../core/tier'
import { cachedThroughTier, TierCachedFunction, TierCachedOptions } from './tier'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFunction = (this: any, ...args: any[]) => any

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
  policy?: 'tinyLfu' | 'lru'
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

/**
 * What `cached(options)` returns: `@cached(options)`, a method decorator for TS 5
 * standard decorators and legacy `experimentalDecorators`; and, called with a
 * function alone, `cached(options)(fn)`, the same as `cached(fn, options)`.
 */
export interface CachedDecorator<K = unknown> {
  <This, Args extends any[], Return>(
    method: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return
  // Typed by the method, so that a getter or a field is a compile error here too.
  <T extends AnyFunction>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T>
  // `context` never given: TS matches an ES decorator to any signature with a
  // parameter, so this one must refuse the context a decorator receives.
  <F extends AnyFunction>(fn: F, context?: undefined): CachedFunction<F, K>
}

/** Options checked once, when a function is wrapped or a method decorated. */
interface Config {
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

function configure(options: unknown): Config {
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
  const { enabled = true } = o
  if (typeof enabled !== 'boolean' && typeof enabled !== 'function') {
    throw new TypeError(`enabled must be a boolean or a function, got ${describe(enabled)}`)
  }
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
      policy: v.lru ? 'lru' : 'tinyLfu',
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
    enabled: enabled as boolean | (() => boolean),
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


function isAsyncFunction(fn: AnyFunction): boolean {
  return (fn as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'AsyncFunction'
}

const IS_CACHED = Symbol('moka-js.cached')
const FOR_INSTANCE = Symbol('moka-js.forInstance')

interface Counters {
  hits: number
  misses: number
  coalesced: number
  loads: number
  errors: number
  timeouts: number
  refreshes: number
}

const zero = (): Counters => ({ hits: 0, misses: 0, coalesced: 0, loads: 0, errors: 0, timeouts: 0, refreshes: 0 })

/** One cached function: its caches, loads in flight and counters. */
function build<F extends AnyFunction>(fn: F, c: Config): CachedFunction<F> {
  const { hash, equals, maxCapacity } = c.moka
  // Loads can start before the cache exists: `fn.cache.fetch` joins them once it does.
  const flights = new Flights(new Keying(hash as never, equals as never))
  const main = new LazyMoka<unknown, unknown>(c.moka, (cache) => adoptFlights(cache, flights))
  const side = (ttl: number | undefined): LazyMoka<unknown, unknown> | undefined =>
    ttl === undefined ? undefined : new LazyMoka({ maxCapacity, ttl, policy: 'lru', hash, equals })
  /** A key here is fresh: younger than refreshAfter (or its refresh just failed). */
  const fresh = side(c.refreshAfter)
  /**
   * A key here is served stale after a failed refresh, until its grace ends.
   * Every store clears the mark, so it needs no expiry of its own.
   */
  const failing =
    c.staleIfError === undefined ? undefined : new LazyMoka<unknown, unknown>({ maxCapacity, policy: 'lru', hash, equals })
  /** Remembered failures. */
  const errors = side(c.errorTtl)
  const { key: keyFn, waitConcurrent, timeout, retry, enabled } = c
  let asyncResults = isAsyncFunction(fn)
  let n = zero()

  const keyOf = (args: unknown[]): unknown => (keyFn === undefined ? argsKey(args) : keyFn(...args))

  /** Once `fn.cache` was disposed: the error of a call, which names what was called. */
  const called = fn.name === '' ? 'the cached function' : `${fn.name}()`
  const disposed = (call: string): Error => disposedError(`${call} cannot be called`)
  const usable = (method: string): void => {
    if (main.disposed) throw disposed(fn.name === '' ? `${method}()` : `${fn.name}.${method}()`)
  }

  const store = (key: unknown, value: unknown): void => {
    // Disposed during the load: the waiters get the value, nothing is stored.
    if (main.disposed) return
    refuseObservable(fn, value)
    const options = entryOptions(c.entryTtl, c.entryTti, value)
    if (options === SKIP) {
      main.delete(key)
      return
    }
    main.set(key, value, options)
    fresh?.set(key, true)
    failing?.delete(key)
    errors?.delete(key)
  }

  const countTimeout = (error: unknown): void => {
    if (error instanceof TimeoutError) n.timeouts++
  }

  /** One call of `fn` for `key`: counted, and published on `moka-js:load` when subscribed. */
  const call = (thisArg: unknown, args: unknown[], key: unknown): unknown => {
    n.loads++
    return timedLoad(wrapper, key, () => fn.apply(thisArg, args))
  }

  const attempt = (thisArg: unknown, args: unknown[], key: unknown) => (): unknown => call(thisArg, args, key)

  const load = (thisArg: unknown, args: unknown[], key: unknown): unknown => {
    if (errors !== undefined) {
      const error = errors.get(key, ABSENT)
      if (error !== ABSENT) {
        n.hits++
        if (asyncResults) return Promise.reject(error)
        throw error
      }
    }
    n.misses++
    if (waitConcurrent) {
      const running = flights.get(key)
      if (running !== undefined) {
        n.coalesced++
        return running.join()
      }
    }
    let result: unknown
    try {
      result = call(thisArg, args, key)
    } catch (error) {
      n.errors++
      errors?.set(key, error)
      throw error
    }
    if (!isThenable(result)) {
      store(key, result)
      return result
    }
    asyncResults = true
    const flight = flights.start(
      key,
      {
        first: result,
        attempt: attempt(thisArg, args, key),
        timeout,
        retry,
        onValue: (value, late) => {
          // A late result fills the cache only if nothing else did meanwhile.
          if (!late || !main.has(key)) store(key, value)
        },
        onError: (error, late) => {
          n.errors++
          if (!late) errors?.set(key, error)
        },
      },
      waitConcurrent,
    )
    if (timeout !== undefined) flight.promise.catch(countTimeout)
    return flight.join()
  }

  const refreshFailed = (key: unknown, old: unknown): void => {
    // Replaced or removed meanwhile (or the cache disposed): nothing to keep or drop.
    if (main.disposed || main.get(key, ABSENT) !== old) return
    if (failing === undefined) {
      main.delete(key)
      return
    }
    if (!failing.has(key)) {
      failing.set(key, true)
      main.set(key, old, { ttl: c.staleIfError })
    }
    // The next refresh is tried once refreshAfter has passed again.
    fresh!.set(key, true)
  }

  const refresh = (thisArg: unknown, args: unknown[], key: unknown, old: unknown): void => {
    if (flights.get(key) !== undefined) return
    n.refreshes++
    const flight = flights.start(key, {
      defer: true,
      attempt: attempt(thisArg, args, key),
      timeout,
      retry,
      onValue: (value) => store(key, value),
      onError: () => {
        n.errors++
      },
    })
    flight.promise.catch((error: unknown) => {
      countTimeout(error)
      refreshFailed(key, old)
    })
  }

  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    if (enabled !== true && (enabled === false || !enabled())) return fn.apply(this, args)
    if (main.disposed) {
      const error = disposed(called)
      if (asyncResults) return Promise.reject(error)
      throw error
    }
    const key = keyOf(args)
    const value = main.get(key, ABSENT)
    if (value === ABSENT) return load(this, args, key)
    n.hits++
    if (fresh !== undefined && !fresh.has(key)) refresh(this, args, key, value)
    return asyncResults ? Promise.resolve(value) : value
  }

  dressWrapper(wrapper, fn, {
    cache: { get: () => main.cache, enumerable: true },
    [IS_CACHED]: { value: true },
  })
  return Object.assign(wrapper, {
    cacheInfo(): CacheInfo {
      const calls = n.hits + n.misses
      return {
        ...n,
        hitRate: calls === 0 ? 0 : n.hits / calls,
        size: main.size,
        maxCapacity,
        inFlight: flights.size,
      }
    },
    cacheClear(): void {
      usable('cacheClear')
      flights.forgetAll()
      main.clear()
      fresh?.clear()
      failing?.clear()
      errors?.clear()
      n = zero()
    },
    invalidate(...args: unknown[]): boolean {
      usable('invalidate')
      const key = keyOf(args)
      flights.forget(key)
      fresh?.delete(key)
      failing?.delete(key)
      const hadError = errors?.delete(key) ?? false
      return main.delete(key) || hadError
    },
  }) as unknown as CachedFunction<F>
}

/**
 * Memoizes `fn`, sync or async, in its own `Moka`. See {@link CachedOptions};
 * the wrapper keeps `fn`'s parameter and return types and exposes `.cache`,
 * `.cacheInfo()`, `.cacheClear()`, `.invalidate(...args)` and `.uncached`.
 *
 * With `{ shared: 'name' }`, the results live in that `SharedMoka`, shared by
 * every thread of the process (see `SharedCachedOptions`).
 *
 * Called with options only, returns a method decorator (`@cached({ ttl: '1m' })`)
 * that works with TS 5 standard decorators and with legacy
 * `experimentalDecorators`; each instance gets its own cache. That decorator
 * called with a function alone memoizes it: `cached(options)(fn)` is
 * `cached(fn, options)`.
 */
export function cached<F extends AnyFunction>(fn: F, options: SharedCachedOptions<Parameters<F>, ReturnType<F>>): SharedCachedFunction<F>
export function cached<F extends AnyFunction, T extends CacheTier<Awaited<ReturnType<F>>>>(
  fn: F,
  options: TierCachedOptions<Parameters<F>, ReturnType<F>, T>,
): TierCachedFunction<F, T>
export function cached<F extends AnyFunction, K = unknown>(
  fn: F,
  options?: CachedOptions<Parameters<F>, ReturnType<F>, K>,
): CachedFunction<F, K>
export function cached<K = unknown>(options?: CachedOptions<any[], any, K>): CachedDecorator<K>
export function cached(fnOrOptions?: unknown, options?: unknown): unknown {
  if (typeof fnOrOptions === 'function') {
    if (isShared(options)) return cachedShared(fnOrOptions as AnyFunction, options)
    if (typeof options === 'object' && options !== null && 'tier' in options) return cachedThroughTier(fnOrOptions as AnyFunction, options)
    return build(fnOrOptions as AnyFunction, configure(options))
  }
  if (typeof options === 'function') {
    throw new TypeError('cached(fn, options) takes the function first; this call passed the options first, cached(options, fn)')
  }
  if (isShared(fnOrOptions)) {
    throw new TypeError('@cached({ shared }) is not supported: methods cache per instance, a shared cache per process; wrap a function with cached(fn, { shared })')
  }
  const config = configure(fnOrOptions)
  return function decorator(target: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown {
    // cached(options)(fn): a function alone, no decorator context. A class
    // alone is a legacy class decorator's call, refused below.
    if (arguments.length === 1 && typeof target === 'function' && !isClass(target)) return build(target as AnyFunction, config)
    if (isStandardContext(context)) {
      const { kind, name } = context
      if (kind !== 'method') throw notAMethod(name, kind)
      const method = decorate(target as AnyFunction, config)
      // Records which class (prototype, or class for static methods) holds the
      // method, so that cacheOf finds it under decorators that wrap it. Once
      // per class: a WeakSet lookup per instance after that.
      const registered = new WeakSet<object>()
      context.addInitializer(function (this: unknown) {
        const owner = context.static ? (this as object) : (Object.getPrototypeOf(this) as object)
        if (registered.has(owner)) return
        registered.add(owner)
        registerMethod(owner, name, method)
      })
      return method
    }
    const legacy = typeof context === 'string' || typeof context === 'symbol'
    if (legacy && target !== null && (typeof target === 'object' || typeof target === 'function')) {
      // Legacy `experimentalDecorators`: (prototype or class, name, descriptor); no descriptor for a field.
      const name = context as PropertyKey
      if (descriptor === undefined) throw notAMethod(name, 'field')
      if (typeof descriptor.value !== 'function') throw notAMethod(name, descriptor.get !== undefined ? 'getter' : descriptor.set !== undefined ? 'setter' : 'field')
      const method = decorate(descriptor.value as AnyFunction, config)
      descriptor.value = method
      registerMethod(target as object, name, method)
      return descriptor
    }
    const args = Array.from(arguments, (a: unknown) => describe(a)).join(', ') || 'nothing'
    throw new TypeError(
      `cached(options) returns a method decorator, to write @cached(options) above a method; it was called with ${args}. ` +
        'To memoize a function, call cached(fn, options) or cached(options)(fn).',
    )
  }
}

function notAMethod(name: PropertyKey, kind: string): TypeError {
  const hint = kind === 'getter' ? ': move its computation into a @cached() method and call that from the getter' : ''
  return new TypeError(`@cached() decorates methods; ${String(name)} is a ${kind}${hint}`)
}

function isClass(fn: unknown): boolean {
  return /^class\b/.test(Function.prototype.toString.call(fn))
}

function isStandardContext(value: unknown): value is ClassMethodDecoratorContext & { kind: string } {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string'
}

/** The method that replaces `original`: one cached function per instance, created on first call. */
function decorate(original: AnyFunction, config: Config): AnyFunction {
  const byInstance = new WeakMap<object, CachedFunction<AnyFunction>>()
  let unbound: CachedFunction<AnyFunction> | undefined
  const forInstance: ForInstance = (instance) => {
    if (instance === null || (typeof instance !== 'object' && typeof instance !== 'function')) {
      return (unbound ??= build(original, config))
    }
    let fn = byInstance.get(instance)
    if (fn === undefined) {
      fn = build(original, config)
      byInstance.set(instance, fn)
    }
    return fn
  }
  const method = function (this: unknown, ...args: unknown[]): unknown {
    return forInstance(this).apply(this, args)
  }
  Object.defineProperties(method, {
    name: { value: original.name, configurable: true },
    length: { value: original.length, configurable: true },
    uncached: { value: original },
    [FOR_INSTANCE]: { value: forInstance },
  })
  copyMetadata(original, method)
  return method
}

/** Carries `reflect-metadata` entries over (NestJS route and guard metadata live on the method). */
function copyMetadata(from: object, to: object): void {
  const R = Reflect as unknown as {
    getOwnMetadataKeys?: (target: object) => unknown[]
    getOwnMetadata?: (key: unknown, target: object) => unknown
    defineMetadata?: (key: unknown, value: unknown, target: object) => void
  }
  if (typeof R.getOwnMetadataKeys !== 'function' || typeof R.getOwnMetadata !== 'function' || typeof R.defineMetadata !== 'function') return
  for (const key of R.getOwnMetadataKeys(from)) R.defineMetadata(key, R.getOwnMetadata(key, from), to)
}

/** A method's per-instance cached function; a property already holding a `cached(fn)` is itself. */
export type CachedOf<F extends AnyFunction> = F extends { readonly uncached: AnyFunction; cacheInfo(): CacheInfo }
  ? F
  : CachedFunction<F>

type ForInstance = (instance: unknown) => CachedFunction<AnyFunction>

/**
 * The @cached() methods of each class, by name: keyed by the prototype (the
 * class itself for static methods) whose property holds the method, maybe
 * wrapped by other decorators.
 */
const decoratedMethods = new WeakMap<object, Map<PropertyKey, ForInstance>>()

function registerMethod(owner: object, name: PropertyKey, method: AnyFunction): void {
  let byName = decoratedMethods.get(owner)
  if (byName === undefined) decoratedMethods.set(owner, (byName = new Map()))
  byName.set(name, (method as unknown as { [FOR_INSTANCE]: ForInstance })[FOR_INSTANCE])
}

/** The @cached() method `name` of `instance`'s class or of an ancestor. */
function decoratedMethod(instance: object, name: PropertyKey): ForInstance | undefined {
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const forInstance = decoratedMethods.get(o)?.get(name)
    if (forInstance !== undefined) return forInstance
  }
  return undefined
}

/** The name under which `instance` or one of its prototypes holds `fn`. */
function nameHolding(instance: object, fn: unknown): PropertyKey | undefined {
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Reflect.ownKeys(o)) {
      if (Object.getOwnPropertyDescriptor(o, key)?.value === fn) return key
    }
  }
  return undefined
}

/**
 * The cached function behind a method, for one instance: its `.cache`,
 * `.cacheInfo()`, `.cacheClear()`, `.invalidate(...args)`. `method` is the
 * method's name, or the method itself (`cacheOf(this, this.find)`, which
 * keeps its types inside the class). Works for `@cached()` methods, also
 * under other decorators that wrap them, and for properties holding a
 * `cached(fn)`.
 */
export function cacheOf<F extends AnyFunction>(instance: object, method: F): CachedOf<F>
export function cacheOf<T extends object, M extends keyof T>(instance: T, method: M): CachedOf<Extract<T[M], AnyFunction>>
/**
 * A method by a name TypeScript keeps out of `keyof` (private and protected
 * methods), typed by `F` when given: `cacheOf<(id: number) => User>(this, 'load')`.
 */
export function cacheOf<F extends AnyFunction = AnyFunction>(instance: object, method: string | symbol): CachedOf<F>
export function cacheOf(instance: object, method: unknown): unknown {
  const value: unknown = typeof method === 'function' ? method : (instance as Record<PropertyKey, unknown>)[method as PropertyKey]
  if (typeof value === 'function') {
    const fn = value as { [FOR_INSTANCE]?: ForInstance; [IS_CACHED]?: boolean }
    const forInstance = fn[FOR_INSTANCE]
    if (forInstance !== undefined) return forInstance(instance)
    if (fn[IS_CACHED] === true) return fn
  }
  // Another decorator may have wrapped the @cached() method: find it by name.
  const name = typeof method === 'function' ? nameHolding(instance, method) : (method as PropertyKey)
  const forInstance = name === undefined ? undefined : decoratedMethod(instance, name)
  if (forInstance !== undefined) return forInstance(instance)
  const shown = typeof method === 'function' ? method.name : String(method)
  throw new TypeError(`${shown} is not a @cached() method nor a cached function`)
}
