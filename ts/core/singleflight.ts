// Single-flight loading, shared by `Moka#fetch` and `cached`: one load per key
// at a time, joined by every concurrent caller; a load-wide timeout; per-caller
// abort; retries with exponential backoff. Nothing here produces an unhandled
// rejection: every internal promise has a handler.

import { Interned, Keying, MISS } from './keys'

/** Whether `value` is a promise, or any thenable a loader may return. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
}

/** Rejects the waiters of a load that took longer than its `timeout`. */
export class TimeoutError extends Error {
  constructor(message = 'the operation timed out', options?: { cause?: unknown }) {
    super(message, options)
  }
}
Object.defineProperty(TimeoutError.prototype, 'name', { value: 'TimeoutError', writable: true, configurable: true })

/** Rejects a caller whose `AbortSignal` fired (when the signal's reason is not itself an error). */
export class AbortError extends Error {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super(message, options)
  }
}
Object.defineProperty(AbortError.prototype, 'name', { value: 'AbortError', writable: true, configurable: true })

/**
 * What a caller is rejected with when its signal aborts: the signal's reason
 * when it is an error (the platform's convention, as `fetch()` does; the
 * default reason is a `DOMException` named `'AbortError'`), otherwise an
 * `AbortError` carrying the reason as its `cause`.
 */
export function abortReason(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason
  if (reason instanceof Error || (typeof DOMException === 'function' && reason instanceof DOMException)) return reason
  return new AbortError('the operation was aborted', { cause: reason })
}

/** Retries after a failed attempt; `backoff(n, error)` is the wait in ms before retry `n` (1-based). */
export interface RetryPolicy {
  retries: number
  backoff: (retry: number, error: unknown) => number
}

export interface LoadSpec<V> {
  /** One attempt; called with the load's signal. May return a value or a promise. */
  attempt: (signal: AbortSignal) => V | PromiseLike<V>
  /** The result of a first attempt the caller already made (so that it ran synchronously). */
  first?: PromiseLike<V>
  /** Runs the first attempt after the current call has returned (background refreshes). */
  defer?: boolean
  /** Milliseconds before every waiter is rejected with a `TimeoutError` and the signal aborts. */
  timeout?: number
  retry?: RetryPolicy
  /**
   * Stores a successful result. Not called once the load was forgotten
   * (invalidated). `late` when the waiters had already been rejected (timeout)
   * or had all gone. If it throws, the waiters are rejected with that error.
   */
  onValue(value: V, late: boolean): void
  /** A failed load (after its retries); `late` as for `onValue`. */
  onError?(error: unknown, late: boolean): void
}

const noop = (): void => {}

/**
 * One load in progress. Its `promise` is shared by the waiters that carry no
 * signal; waiters with a signal get their own promise and may leave early.
 */
export class Flight<V> {
  readonly promise: Promise<V>
  readonly #spec: LoadSpec<V>
  readonly #controller = new AbortController()
  #resolve!: (value: V) => void
  #reject!: (error: unknown) => void
  /** The shared promise has settled (value, error, timeout, or every waiter gone). */
  #settled = false
  /** Out of the in-flight table: new callers start another load. */
  #detached = false
  /** Invalidated: the result reaches the waiters but is not stored. */
  #forgotten = false
  #waiters = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #unregister: () => void

  constructor(spec: LoadSpec<V>, unregister: () => void = noop) {
    this.#spec = spec
    this.#unregister = unregister
    this.promise = new Promise<V>((resolve, reject) => {
      this.#resolve = resolve
      this.#reject = reject
    })
    this.promise.catch(noop)
  }

  /** The loader's signal: aborts when the timeout fires or every waiter has gone. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** Starts the load (the first attempt runs now, unless deferred). */
  start(): this {
    const { timeout } = this.#spec
    if (timeout !== undefined) this.#timer = setTimeout(() => this.#timeout(timeout), timeout)
    this.#run().catch(noop)
    return this
  }

  /**
   * A promise for the result, for one more waiter. A waiter with a `signal`
   * is rejected alone when it aborts; one with a `timeout` alone when that
   * runs out. When every waiter has left, the loader's signal aborts.
   */
  join(signal?: AbortSignal, timeout?: number): Promise<V> {
    this.#waiters++
    if (signal === undefined && timeout === undefined) return this.promise
    return new Promise<V>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      let left = false
      const leave = (error: unknown): void => {
        if (left) return
        left = true
        cleanup()
        reject(error)
        this.#leave()
      }
      const onAbort = (): void => leave(abortReason(signal!))
      const cleanup = (): void => {
        signal?.removeEventListener('abort', onAbort)
        if (timer !== undefined) clearTimeout(timer)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      if (timeout !== undefined) {
        timer = setTimeout(() => leave(new TimeoutError(`gave up waiting after ${timeout} ms`)), timeout)
      }
      this.promise.then(
        (value) => {
          left = true
          cleanup()
          resolve(value)
        },
        (error: unknown) => {
          left = true
          cleanup()
          reject(error)
        },
      )
    })
  }

  /** Drops the load from the table and keeps its result out of the cache. */
  forget(): void {
    this.#forgotten = true
    this.#detach()
  }

  async #run(): Promise<void> {
    const spec = this.#spec
    let value: V
    try {
      value = await attempts(spec, this.#controller.signal)
    } catch (error) {
      const late = this.#settled
      this.#finish()
      this.#settle(false, error)
      if (!this.#forgotten) spec.onError?.(error, late)
      return
    }
    const late = this.#settled
    if (!this.#forgotten) {
      try {
        spec.onValue(value, late)
      } catch (error) {
        this.#finish()
        this.#settle(false, error)
        return
      }
    }
    this.#finish()
    this.#settle(true, value)
  }

  #settle(ok: boolean, outcome: unknown): void {
    if (this.#settled) return
    this.#settled = true
    if (ok) this.#resolve(outcome as V)
    else this.#reject(outcome)
  }

  #timeout(ms: number): void {
    this.#timer = undefined
    if (this.#settled) return
    const error = new TimeoutError(`the load timed out after ${ms} ms`)
    this.#settle(false, error)
    this.#detach()
    this.#controller.abort(error)
  }

  #leave(): void {
    if (--this.#waiters > 0 || this.#settled) return
    const error = new AbortError('every caller waiting for this load has gone')
    this.#settle(false, error)
    this.#detach()
    this.#controller.abort(error)
  }

  #finish(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#detach()
  }

  #detach(): void {
    if (this.#detached) return
    this.#detached = true
    this.#unregister()
  }
}

async function attempts<V>(spec: LoadSpec<V>, signal: AbortSignal): Promise<V> {
  if (spec.defer) await null
  for (let retry = 0; ; retry++) {
    try {
      return await (retry === 0 && spec.first !== undefined ? spec.first : spec.attempt(signal))
    } catch (error) {
      const policy = spec.retry
      if (policy === undefined || retry >= policy.retries || signal.aborted) throw error
      await sleep(policy.backoff(retry + 1, error), signal)
    }
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The loads in progress for one cache, keyed with the cache's own key
 * semantics (a `Keying`): primitives by SameValueZero, objects and symbols by
 * identity, value objects and custom `hash`/`equals` keys structurally.
 */
export class Flights {
  readonly #keying: Keying
  readonly #byValue = new Map<unknown, Flight<unknown>>()
  readonly #byToken = new Map<number, Flight<unknown>>()

  constructor(keying: Keying) {
    this.#keying = keying
  }

  /** The load in progress for `key`, if any. */
  get<V>(key: unknown): Flight<V> | undefined {
    if (!this.#keying.needsToken(key)) return this.#byValue.get(key) as Flight<V> | undefined
    const token = this.#keying.lookup(key)
    return token === MISS ? undefined : (this.#byToken.get(token) as Flight<V> | undefined)
  }

  /**
   * Starts a load for `key`. With `register` (the default) later callers find
   * it with `get` until it settles; without, it runs on its own.
   */
  start<V>(key: unknown, spec: LoadSpec<V>, register = true): Flight<V> {
    if (!register) return new Flight(spec).start()
    let flight: Flight<V>
    if (!this.#keying.needsToken(key)) {
      const table = this.#byValue
      flight = new Flight(spec, () => {
        if (table.get(key) === flight) table.delete(key)
      })
      table.set(key, flight as Flight<unknown>)
    } else {
      const { token, rec } = this.#keying.intern(key)
      // Hold an interned key while its load runs, as a cache slot would.
      if (rec !== undefined) rec.refs++
      const table = this.#byToken
      flight = new Flight(spec, () => {
        if (table.get(token) === flight) table.delete(token)
        if (rec !== undefined) this.#keying.unref(rec as Interned)
      })
      table.set(token, flight as Flight<unknown>)
    }
    return flight.start()
  }

  /** Forgets the load for `key` (its result will not be stored). */
  forget(key: unknown): void {
    this.get(key)?.forget()
  }

  forgetAll(): void {
    for (const flight of [...this.#byValue.values(), ...this.#byToken.values()]) flight.forget()
  }

  /** Loads in progress. */
  get size(): number {
    return this.#byValue.size + this.#byToken.size
  }
}

const flightsByCache = new WeakMap<object, Flights>()

/** Makes `flights` the in-flight table of `cache`: for a cache built after loads for it began. */
export function adoptFlights(cache: object, flights: Flights): void {
  flightsByCache.set(cache, flights)
}

/** The in-flight table of `cache`, created with `keying` on first use. */
export function flightsOf(cache: object, keying: Keying): Flights {
  let flights = flightsByCache.get(cache)
  if (flights === undefined) {
    flights = new Flights(keying)
    flightsByCache.set(cache, flights)
  }
  return flights
}
