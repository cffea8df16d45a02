// The memoizer's backend over this thread's own `Moka`: the cache of
// `cached(fn, options)` and of each instance of a `@cached()` method. Beside
// the results it keeps the loads in flight (single-flight), the freshness of
// each result (refreshAfter), the results served stale after a failed refresh
// (staleIfError) and remembered failures (cacheErrors).

import { timedLoad } from '../core/diagnostics'
import { ABSENT, entryOptions, SKIP } from '../core/fetch'
import { Keying } from '../core/keys'
import { disposedError, type Moka } from '../core/moka'
import { adoptFlights, Flights, isThenable, TimeoutError } from '../core/singleflight'
import { argsKey } from './args'
import { LazyMoka } from './lazy'
import { type CacheInfo, type CachedFunction, type LocalConfig } from './local-options'
import type { AnyFunction, MemoBackend } from '../core/memo'
import { memoize } from './memoizer'
import { refuseObservable } from './observable'

/** Marks a function that `cached` returned, for `cacheOf`. */
export const IS_CACHED = Symbol('moka-js.cached')

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

function isAsyncFunction(fn: AnyFunction): boolean {
  return (fn as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'AsyncFunction'
}

class LocalMemo implements MemoBackend {
  /** Loads in flight; they can start before the cache exists, and `fn.cache.fetch` joins them once it does. */
  readonly flights: Flights
  readonly main: LazyMoka<unknown, unknown>
  /** A key here is fresh: younger than refreshAfter (or its refresh just failed). */
  readonly fresh: LazyMoka<unknown, unknown> | undefined
  /** A key here is served stale after a failed refresh, until its grace ends. Every store clears the mark, so it needs no expiry of its own. */
  readonly failing: LazyMoka<unknown, unknown> | undefined
  /** Remembered failures. */
  readonly errors: LazyMoka<unknown, unknown> | undefined
  n = zero()
  async: boolean
  /** The memoized function, whose loads are published with it as the cache. */
  wrapper: unknown

  constructor(
    readonly fn: AnyFunction,
    readonly c: LocalConfig,
  ) {
    const { hash, equals, maxCapacity } = c.moka
    this.flights = new Flights(new Keying(hash as never, equals as never))
    this.main = new LazyMoka<unknown, unknown>(c.moka, (cache) => adoptFlights(cache, this.flights))
    const side = (ttl: number | undefined): LazyMoka<unknown, unknown> | undefined =>
      ttl === undefined ? undefined : new LazyMoka({ maxCapacity, ttl, policy: 'lru', hash, equals })
    this.fresh = side(c.refreshAfter)
    this.failing = c.staleIfError === undefined ? undefined : new LazyMoka<unknown, unknown>({ maxCapacity, policy: 'lru', hash, equals })
    this.errors = side(c.errorTtl)
    this.async = isAsyncFunction(fn)
  }

  refusal(called: string): Error | undefined {
    return this.main.disposed ? disposedError(`${called} cannot be called`) : undefined
  }

  call(key: unknown, thisArg: unknown, args: unknown[]): unknown {
    const value = this.main.get(key, ABSENT)
    if (value === ABSENT) return this.load(thisArg, args, key)
    this.n.hits++
    if (this.fresh !== undefined && !this.fresh.has(key)) this.refresh(thisArg, args, key, value)
    return this.async ? Promise.resolve(value) : value
  }

  invalidate(key: unknown): boolean {
    this.flights.forget(key)
    this.fresh?.delete(key)
    this.failing?.delete(key)
    const hadError = this.errors?.delete(key) ?? false
    return this.main.delete(key) || hadError
  }

  clear(): void {
    this.flights.forgetAll()
    this.main.clear()
    this.fresh?.clear()
    this.failing?.clear()
    this.errors?.clear()
    this.n = zero()
  }

  info(): CacheInfo {
    const { n } = this
    const calls = n.hits + n.misses
    return { ...n, hitRate: calls === 0 ? 0 : n.hits / calls, size: this.main.size, maxCapacity: this.c.moka.maxCapacity, inFlight: this.flights.size }
  }

  store(key: unknown, value: unknown): void {
    // Disposed during the load: the waiters get the value, nothing is stored.
    if (this.main.disposed) return
    refuseObservable(this.fn, value)
    const options = entryOptions(this.c.entryTtl, this.c.entryTti, value)
    if (options === SKIP) {
      this.main.delete(key)
      return
    }
    this.main.set(key, value, options)
    this.fresh?.set(key, true)
    this.failing?.delete(key)
    this.errors?.delete(key)
  }

  /** One call of `fn` for `key`: counted, and published on `moka-js:load` when subscribed. */
  attempt(thisArg: unknown, args: unknown[], key: unknown): () => unknown {
    return () => {
      this.n.loads++
      return timedLoad(this.wrapper as object, key, () => this.fn.apply(thisArg, args))
    }
  }

  readonly countTimeout = (error: unknown): void => {
    if (error instanceof TimeoutError) this.n.timeouts++
  }

  load(thisArg: unknown, args: unknown[], key: unknown): unknown {
    const { n, errors, c } = this
    if (errors !== undefined) {
      const error = errors.get(key, ABSENT)
      if (error !== ABSENT) {
        n.hits++
        if (this.async) return Promise.reject(error)
        throw error
      }
    }
    n.misses++
    if (c.waitConcurrent) {
      const running = this.flights.get(key)
      if (running !== undefined) {
        n.coalesced++
        return running.join()
      }
    }
    const attempt = this.attempt(thisArg, args, key)
    let result: unknown
    try {
      result = attempt()
    } catch (error) {
      n.errors++
      errors?.set(key, error)
      throw error
    }
    if (!isThenable(result)) {
      this.store(key, result)
      return result
    }
    this.async = true
    const flight = this.flights.start(
      key,
      {
        first: result,
        attempt,
        timeout: c.timeout,
        retry: c.retry,
        onValue: (value, late) => {
          // A late result fills the cache only if nothing else did meanwhile.
          if (!late || !this.main.has(key)) this.store(key, value)
        },
        onError: (error, late) => {
          n.errors++
          if (!late) errors?.set(key, error)
        },
      },
      c.waitConcurrent,
    )
    if (c.timeout !== undefined) flight.promise.catch(this.countTimeout)
    return flight.join()
  }

  refresh(thisArg: unknown, args: unknown[], key: unknown, old: unknown): void {
    if (this.flights.get(key) !== undefined) return
    this.n.refreshes++
    const flight = this.flights.start(key, {
      defer: true,
      attempt: this.attempt(thisArg, args, key),
      timeout: this.c.timeout,
      retry: this.c.retry,
      onValue: (value) => this.store(key, value),
      onError: () => {
        this.n.errors++
      },
    })
    flight.promise.catch((error: unknown) => {
      this.countTimeout(error)
      this.refreshFailed(key, old)
    })
  }

  refreshFailed(key: unknown, old: unknown): void {
    const { main, failing } = this
    // Replaced or removed meanwhile (or the cache disposed): nothing to keep or drop.
    if (main.disposed || main.get(key, ABSENT) !== old) return
    if (failing === undefined) {
      main.delete(key)
      return
    }
    if (!failing.has(key)) {
      failing.set(key, true)
      main.set(key, old, { ttl: this.c.staleIfError })
    }
    // The next refresh is tried once refreshAfter has passed again.
    this.fresh!.set(key, true)
  }
}

/** `fn` memoized in its own `Moka`, as configured by `configureLocal`. */
export function cachedLocally<F extends AnyFunction>(fn: F, c: LocalConfig): CachedFunction<F> {
  const memo = new LocalMemo(fn, c)
  const { key: keyFn } = c
  const keyOf = (args: unknown[]): unknown => (keyFn === undefined ? argsKey(args) : keyFn(...args))
  const wrapper = memoize(fn, {
    config: { keyOf, enabled: c.enabled },
    backend: memo,
    properties: { cache: { get: () => memo.main.cache, enumerable: true }, [IS_CACHED]: { value: true } },
    methods: { cacheInfo: (): CacheInfo => memo.info() },
    guardedMethods: { cacheClear: (): void => memo.clear() },
  })
  memo.wrapper = wrapper
  return wrapper as CachedFunction<F>
}
