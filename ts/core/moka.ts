import { inspect } from 'node:util'

import { binding, KIND_BITS, KIND_MASK, MAX_SLOT, native, NativeCache, protocol, STATE_COUNT, STATE_HEADER, STATE_MORE } from './native'
import { access, fastIdOf } from './fast'
import { fetchThrough, FetchOptions, Loader } from './fetch'
import { evictionChannel, hitChannel, missChannel, initialize, publishLookup } from './diagnostics'
import { describe } from './duration'
import { Interned, Keying, MISS } from './keys'
import {
  checkWeight,
  entryExpiry,
  EvictionListener,
  MokaOptions,
  RemovalCause,
  SetOptions,
  validateOptions,
  ValidOptions,
} from './options'
import { refuseCloning } from './uncloneable'

/** `value` itself, or a TypeError naming `name` when it is not iterable (`Array.from` would take it as empty). */
function iterable<T>(value: Iterable<T>, name: string): Iterable<T> {
  if (typeof (value as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(`${name} must be iterable, got ${describe(value)}`)
  }
  return value
}

/** What a batch of notifications throws: the one error, or all of them. */
export function listenerFailure(errors: unknown[]): unknown {
  return errors.length === 1 ? errors[0] : new AggregateError(errors, `${errors.length} eviction listener calls threw`)
}

/** What a disposed cache throws (or rejects with) when `use` is asked of it. */
export function disposedError(use: string): Error {
  return new Error(`Moka: this cache was disposed; ${use} after dispose()`)
}

/**
 * The methods and getters that need the native cache, by what a user calls.
 * `dispose()` shadows each on the instance with one that throws naming it
 * (`fetch` rejects), so a live cache pays nothing for the check.
 */
const NEEDS_NATIVE: readonly (keyof Moka & (string | symbol))[] = [
  'get',
  'getWith',
  'has',
  'set',
  'delete',
  'remove',
  'clear',
  'runPendingTasks',
  'getMany',
  'setMany',
  'invalidateIf',
  'entries',
  'keys',
  'values',
  'forEach',
  'stats',
]
const NEEDS_NATIVE_GETTERS: readonly (keyof Moka & string)[] = ['size', 'weightedSize']

/** What a retired cache (a disposed `Moka`, a closed `SharedMoka`) refuses: its methods, async ones and getters that need the native cache. */
export interface RetiredUses {
  methods: readonly (string | symbol)[]
  asyncMethods: readonly string[]
  getters: readonly string[]
  /** The error for `use`, e.g. `get() cannot be called`. */
  error: (use: string) => Error
}

/**
 * Makes every use of a retired `cache` that needs its native cache fail,
 * naming what was called: sync methods and getters throw, async methods
 * reject. Shadowed on the instance, so a live cache pays nothing.
 */
export function shadowRetired(cache: object, uses: RetiredUses): void {
  const define = (name: string | symbol, descriptor: PropertyDescriptor): void => {
    Object.defineProperty(cache, name, { ...descriptor, configurable: true, enumerable: false })
  }
  for (const name of uses.methods) {
    define(name, {
      value: () => {
        throw uses.error(`${String(name)}() cannot be called`)
      },
    })
  }
  define(Symbol.iterator, {
    value: () => {
      throw uses.error('it cannot be iterated')
    },
  })
  for (const name of uses.asyncMethods) {
    define(name, { value: () => Promise.reject(uses.error(`${name}() cannot be called`)) })
  }
  for (const name of uses.getters) {
    define(name, {
      get: () => {
        throw uses.error(`${name} cannot be read`)
      },
    })
  }
}

const DISPOSED_USES: RetiredUses = { methods: NEEDS_NATIVE, asyncMethods: ['fetch'], getters: NEEDS_NATIVE_GETTERS, error: disposedError }

/**
 * Buffers the events a drain delivers are copied into first, as user code
 * (a listener, a diagnostics subscriber) may use the cache, which publishes
 * into the state array again. Reused: a `slice` per drain (an allocation
 * and a copy) cost about 450 instructions, a tenth of a listening write. A
 * drain nested in a listener takes another; each goes back when its drain
 * is done (or is left to the collector when user code threw out of it).
 */
const spareEvents: Uint32Array[] = []

/** The `count` events published in `state`, taken: copied out, and `count` back to 0. */
function takePublished(state: Uint32Array, count: number): Uint32Array {
  const events = spareEvents.pop() ?? new Uint32Array(protocol.STATE_LENGTH - STATE_HEADER)
  for (let i = 0; i < count; i++) events[i] = state[STATE_HEADER + i]!
  state[STATE_COUNT] = 0
  return events
}

/** Causes by event kind; kind 0 (released, cause unknown) is never notified. */
const CAUSES = protocol.CAUSES as readonly RemovalCause[]

/** Counters since the cache was created. */
export interface CacheStats {
  hits: number
  misses: number
  /** hits / (hits + misses), or 0 before the first lookup. */
  hitRate: number
  /** Entries that left the cache and were released, whatever the cause. */
  removed: number
  /**
   * Entries that left the cache, by cause; only a cache with an
   * `evictionListener` learns causes (moka reports them to a listener only).
   */
  evictions: Record<RemovalCause, number> | undefined
  /** With `policy: 'adaptive'` only: what the policy watch saw and did. */
  adaptive?: AdaptiveStats
}

/** `stats().adaptive`: the policy in force and what chose it. */
export interface AdaptiveStats {
  /** The policy the cache runs on now. */
  policy: 'tinyLfu' | 'lru'
  /** Switches from one policy to the other so far. */
  switches: number
  /** Whether the build a switch left behind still holds entries. */
  migrating: boolean
  /**
   * Hit ratios of the two shadow caches over the sampled reads, recent ones
   * weighing most (each window of 500 sampled reads half of the rest); NaN
   * before the first window closed.
   */
  shadowHitRate: { lru: number; tinyLfu: number }
  /** Reads that fed the shadows (a hash-sampled share of all reads). */
  sampled: number
}

/**
 * A concurrent-grade cache (moka's `sync::Cache`) holding JS values by
 * reference. Keys follow `Map`'s SameValueZero equality; objects and symbols
 * by identity, value objects (`equals` + `hashCode`) structurally.
 *
 * Keys and values live in JS slot tables; moka holds slot numbers. A slot is
 * released once moka has reported the entry's removal (whatever the cause)
 * and the listener has seen it; only then can it be reused.
 */
export class Moka<K = unknown, V = unknown> implements Iterable<[K, V]> {
  /** The native cache, the first argument of every `native` method (one function for all caches). */
  readonly #cache: NativeCache
  /** The cache's name for the accelerator (`fast.ts`). */
  readonly #fastId: number
  readonly #state: Uint32Array
  readonly #keys: (K | undefined)[] = []
  readonly #values: (V | undefined)[] = []
  readonly #freeSlots: number[] = []
  #nextSlot = 0
  /** Interned key records by slot; only for structural keys. */
  readonly #interned: (Interned | undefined)[] = []
  readonly #keying: Keying
  readonly #listener: EvictionListener<K, V> | undefined
  readonly #weigher: ((key: K, value: V) => number) | undefined
  readonly #perEntryExpiry: boolean
  #disposed = false
  /** Counts writes, so that `invalidateIf` can tell when its predicate wrote. */
  #writes = 0
  /** The options as validated; read by `maxCapacity`, `policy`, `ttl`, `tti`. */
  readonly #options: ValidOptions<K, V>

  constructor(options: MokaOptions<K, V>) {
    const o = validateOptions<K, V>(options)
    this.#options = o
    refuseCloning(this)
    this.#listener = o.evictionListener
    this.#weigher = o.weigher
    this.#perEntryExpiry = o.perEntryExpiry
    this.#keying = new Keying(o.hash as (k: unknown) => unknown, o.equals as (a: unknown, b: unknown) => boolean)
    const created = binding.createCache(
      o.maxCapacity,
      o.ttl,
      o.tti,
      o.lru,
      o.weigher !== undefined,
      o.evictionListener !== undefined,
      o.perEntryExpiry,
      o.adaptive,
    )
    this.#cache = created.cache
    this.#fastId = fastIdOf(created.cache)
    this.#state = created.state
  }

  /** The value of `key`, or `fallback` when absent or expired. A read: counts a hit or miss. */
  get(key: K): V | undefined
  get(key: K, fallback: V): V
  get(key: K, fallback?: V): V | undefined {
    const slot = this.#keying.needsToken(key)
      ? native.get(this.#cache, key, this.#keying.lookup(key))
      : access.get(this.#cache, this.#fastId, key)
    const value = slot >= 0 ? this.#values[slot] : fallback
    if (slot >= 0 ? hitChannel.hasSubscribers : missChannel.hasSubscribers) publishLookup(this, key, slot >= 0)
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return value
  }

  /**
   * The value of `key`; when absent, `init(key)` computes it, it is stored
   * (with `options`' `ttl`/`tti`, as `set` takes them) and returned. If
   * `init` throws, nothing is stored and the error propagates.
   */
  getWith(key: K, init: (key: K) => V, options?: SetOptions): V {
    if (typeof init !== 'function') throw new TypeError(`init must be a function, got ${describe(init)}`)
    // Checked on a hit too: a bad option is a bug whether or not it was needed this time.
    entryExpiry(options, this.#perEntryExpiry, 'getWith')
    const slot = this.#keying.needsToken(key)
      ? native.get(this.#cache, key, this.#keying.lookup(key))
      : access.get(this.#cache, this.#fastId, key)
    if (slot >= 0 ? hitChannel.hasSubscribers : missChannel.hasSubscribers) publishLookup(this, key, slot >= 0)
    if (slot >= 0) {
      const value = this.#values[slot] as V
      if (this.#state[STATE_COUNT] !== 0) this.#drain()
      return value
    }
    // A miss leaves any removals it published queued: `set` delivers them
    // after storing, so a throwing listener cannot cancel the computation.
    const value = initialize(this, key, init)
    this.set(key, value, options)
    return value
  }

  /**
   * The value of `key`, or else `loader(key, { signal })`'s, stored and
   * returned. Concurrent calls for one key share one load (single-flight);
   * a failed load is not stored. `signal` rejects this caller alone,
   * `timeout` every waiter of the load it starts, `ttl` (a duration or a
   * function of the value) sets the entry's time to live, `tti` its time to idle.
   */
  fetch(key: K, loader: Loader<K, V>, options?: FetchOptions<V>): Promise<V> {
    return fetchThrough(this, this.#keying, key, loader, options)
  }

  /** Whether `key` has a live entry. Not a read: no popularity, no idle reset. */
  has(key: K): boolean {
    const found = this.#keying.needsToken(key)
      ? native.has(this.#cache, key, this.#keying.lookup(key))
      : access.has(this.#cache, this.#fastId, key)
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return found
  }

  /**
   * Stores `value` under `key` (replacing any entry: cause `'replaced'`), with
   * optional per-entry `ttl`/`tti`. Returns the cache, like `Map#set`.
   */
  set(key: K, value: V, options?: SetOptions): this {
    const { ttl, tti } = entryExpiry(options, this.#perEntryExpiry, 'set')
    const weight = this.#weigher === undefined ? undefined : checkWeight(this.#weigher(key, value))
    let token: number | undefined
    let rec: Interned | undefined
    if (this.#keying.needsToken(key)) ({ token, rec } = this.#keying.intern(key))
    const slot = this.#allocate(key, value, rec)
    const plain = token === undefined && weight === undefined && ttl === undefined && tti === undefined
    if (!(plain && access.trySet(this.#cache, this.#fastId, key, slot))) this.#setNatively(plain, key, slot, token, weight, ttl, tti)
    this.#writes++
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return this
  }

  /**
   * `native.set`, its slot released if it throws. A `plain` set passes no
   * more than the key and slot: arguments left out cost the native side
   * nothing to read (four `undefined`s cost a Node-API set some 800
   * instructions on Node 22).
   */
  #setNatively(plain: boolean, key: K, slot: number, token?: number, weight?: number, ttl?: number, tti?: number): void {
    try {
      if (plain) native.set(this.#cache, key, slot)
      else native.set(this.#cache, key, slot, token, weight, ttl, tti)
    } catch (error) {
      this.#release(slot)
      throw error
    }
  }

  /** Removes `key`; true if it had a live entry. Cause `'explicit'`. */
  delete(key: K): boolean {
    return this.#remove(key) >= 0
  }

  /** Removes `key` and returns its value; `fallback` (or undefined) when absent or expired. */
  remove(key: K): V | undefined
  remove<F>(key: K, fallback: F): V | F
  remove(key: K, fallback?: unknown): unknown {
    const slot = this.#removeKeepingSlot(key)
    const value = slot >= 0 ? this.#values[slot] : fallback
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return value
  }

  /** Removes every entry now; each is notified as `'explicit'`. */
  clear(): void {
    native.clear(this.#cache)
    this.#writes++
    this.#drain()
  }

  /** Runs moka's pending maintenance: evictions, expirations, notifications. */
  runPendingTasks(): void {
    native.runPendingTasks(this.#cache)
    this.#drain()
  }

  /** Number of entries, after pending maintenance has run (so never above capacity for long). */
  get size(): number {
    const n = native.size(this.#cache)
    this.#drain()
    return n
  }

  /** Total weight of the entries (their number without a `weigher`), after pending maintenance. */
  get weightedSize(): number {
    const n = native.weightedSize(this.#cache)
    this.#drain()
    return n
  }

  /** Values of `keys` in one native call; `undefined` for misses. Each is a read. */
  getMany(keys: Iterable<K>): (V | undefined)[] {
    const list = Array.from(iterable(keys, 'keys'))
    const tokens = this.#lookupTokens(list)
    const slots = native.getMany(this.#cache, list, tokens)
    const values = Array.from(slots, (slot) => (slot >= 0 ? this.#values[slot] : undefined))
    if (hitChannel.hasSubscribers || missChannel.hasSubscribers) slots.forEach((slot, i) => publishLookup(this, list[i], slot >= 0))
    this.#drain()
    return values
  }

  /** Stores every `[key, value]` pair in one native call. Returns the cache. */
  setMany(entries: Iterable<readonly [K, V]>): this {
    const list = Array.from(iterable(entries, 'entries'))
    const keys: K[] = []
    const weights: number[] | undefined = this.#weigher === undefined ? undefined : []
    for (const entry of list) {
      if (!Array.isArray(entry) || entry.length < 2) throw new TypeError('entries must be [key, value] pairs')
      keys.push(entry[0])
      weights?.push(checkWeight(this.#weigher!(entry[0], entry[1])))
    }
    let tokens: (number | undefined)[] | undefined
    const recs: (Interned | undefined)[] = []
    if (keys.some((k) => this.#keying.needsToken(k))) {
      try {
        tokens = keys.map((k) => {
          if (!this.#keying.needsToken(k)) return undefined
          const { token, rec } = this.#keying.intern(k)
          recs.push(rec)
          return token
        })
      } catch (error) {
        // A throwing hash, equals or hashCode: forget the keys interned so far.
        for (const rec of recs) if (rec !== undefined) this.#keying.discard(rec)
        throw error
      }
    }
    const slots = list.map(([k, v]) => this.#allocate(k, v, undefined))
    // Retain interned keys only once slots exist, so a failure below undoes all.
    let r = 0
    if (tokens !== undefined) {
      keys.forEach((k, i) => {
        if (this.#keying.needsToken(k)) this.#retain(slots[i], recs[r++])
      })
    }
    try {
      native.setMany(this.#cache, keys, tokens, slots, weights)
      this.#writes++
    } catch (error) {
      for (const slot of slots) this.#release(slot)
      throw error
    }
    this.#drain()
    return this
  }

  /**
   * Removes every entry for which `predicate(key, value)` is true; returns how
   * many. The predicate runs in JS on a snapshot; an entry replaced or removed
   * meanwhile is skipped. Listener errors are rethrown once the scan is done.
   */
  invalidateIf(predicate: (key: K, value: V) => boolean): number {
    if (typeof predicate !== 'function') throw new TypeError('predicate must be a function')
    const snapshot = this.#snapshot().map((slot) => [slot, this.#keys[slot] as K, this.#values[slot] as V] as const)
    let removed = 0
    let errors: unknown[] | undefined
    for (const [slot, key, value] of snapshot) {
      // A slot released (and maybe reused) since the snapshot holds another entry.
      if (!Object.is(this.#keys[slot], key) || !Object.is(this.#values[slot], value)) continue
      const writes = this.#writes
      const chosen = predicate(key, value)
      if (this.#writes !== writes) {
        // The predicate wrote: without a listener, what it replaced or removed
        // is released only when moka drops it. Settle that, then look again.
        native.runPendingTasks(this.#cache)
        try {
          this.#drain()
        } catch (error) {
          ;(errors ??= []).push(error)
        }
      }
      if (!chosen) continue
      const token = this.#keying.needsToken(key) ? this.#keying.lookup(key) : undefined
      if (native.removeSlot(this.#cache, key, token, slot)) removed++
      // A throwing listener does not stop the scan; its error is rethrown at the end.
      try {
        this.#drain()
      } catch (error) {
        ;(errors ??= []).push(error)
      }
    }
    if (errors !== undefined) {
      throw listenerFailure(errors)
    }
    return removed
  }

  /** `[key, value]` pairs of the live entries, as a snapshot taken when iteration starts. */
  *entries(): IterableIterator<[K, V]> {
    const pairs = this.#snapshot().map((slot): [K, V] => [this.#keys[slot] as K, this.#values[slot] as V])
    yield* pairs
  }

  *keys(): IterableIterator<K> {
    for (const [key] of this.entries()) yield key
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.entries()) yield value
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries()
  }

  /** Calls `callback(value, key, cache)` for each live entry, like `Map#forEach`. */
  forEach(callback: (value: V, key: K, cache: this) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) callback.call(thisArg, value, key, this)
  }

  stats(): CacheStats {
    const [hits, misses, expired, explicit, replaced, size, released] = native.stats(this.#cache)
    const stats: CacheStats = {
      hits,
      misses,
      hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
      removed: expired + explicit + replaced + size + released,
      evictions: this.#listener === undefined ? undefined : { expired, explicit, replaced, size },
    }
    if (this.#options.adaptive) {
      const [lru, switches, migrating, lruShadow, tinyLfuShadow, sampled] = native.adaptiveInfo(this.#cache)
      stats.adaptive = {
        policy: lru === 1 ? 'lru' : 'tinyLfu',
        switches,
        migrating: migrating === 1,
        shadowHitRate: { lru: lruShadow, tinyLfu: tinyLfuShadow },
        sampled,
      }
    }
    return stats
  }

  /**
   * Frees the native cache now rather than when the garbage collector gets
   * to it, and drops every key and value. No listener is called. Later,
   * every method that needs the entries throws an Error naming it (`fetch`
   * rejects); `maxCapacity`, `policy`, `ttl`, `tti`, `disposed`, `toJSON()`
   * and `util.inspect` still answer. A second `dispose()` does nothing.
   */
  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    native.dispose(this.#cache)
    shadowRetired(this, DISPOSED_USES)
    this.#keys.length = 0
    this.#values.length = 0
    this.#interned.length = 0
    this.#freeSlots.length = 0
    this.#nextSlot = 0
    this.#keying.clear()
  }

  [Symbol.dispose](): void {
    this.dispose()
  }

  /** Whether `dispose()` was called. */
  get disposed(): boolean {
    return this.#disposed
  }

  get [Symbol.toStringTag](): string {
    return 'Moka'
  }

  /** The bound on entries, or on total weight with a `weigher`. */
  get maxCapacity(): number {
    return this.#options.maxCapacity
  }

  /** The policy asked for; with `'adaptive'`, `stats().adaptive.policy` is the one in force. */
  get policy(): 'tinyLfu' | 'lru' | 'adaptive' {
    return this.#options.adaptive ? 'adaptive' : this.#options.lru ? 'lru' : 'tinyLfu'
  }

  /** The cache-wide time to live in milliseconds, or undefined when none was given. */
  get ttl(): number | undefined {
    return this.#options.ttl
  }

  /** The cache-wide time to idle in milliseconds, or undefined when none was given. */
  get tti(): number | undefined {
    return this.#options.tti
  }

  /** Whether the cache was built with `perEntryExpiry: true` (per-entry `ttl`/`tti` allowed). */
  get perEntryExpiry(): boolean {
    return this.#perEntryExpiry
  }

  /**
   * What `console.log(cache)` and `util.inspect` show:
   * `Moka { size, maxCapacity, policy, ttl, tti }` (`weightedSize` with a
   * weigher; `ttl`/`tti` when set). Reads `size`, so pending maintenance runs.
   */
  [inspect.custom](_depth: number, options: object): string {
    return `Moka ${inspect(this.toJSON(), options)}`
  }

  /** The same summary as `util.inspect`, for loggers that serialize with JSON; never the entries. */
  toJSON(): Record<string, unknown> {
    const o = this.#options
    if (this.#disposed) return { disposed: true, maxCapacity: o.maxCapacity, policy: this.policy }
    return {
      size: this.size,
      ...(o.weigher === undefined ? {} : { weightedSize: this.weightedSize }),
      maxCapacity: o.maxCapacity,
      policy: this.policy,
      ...(o.ttl === undefined ? {} : { ttl: o.ttl }),
      ...(o.tti === undefined ? {} : { tti: o.tti }),
    }
  }

  /** Slots in use (entries not yet released, expired ones included); for leak checks. */
  get slotsInUse(): number {
    return this.#nextSlot - this.#freeSlots.length
  }

  /** Interned structural keys held; for leak checks. */
  get internedKeys(): number {
    return this.#keying.internedCount
  }

  #snapshot(): number[] {
    const slots = Array.from(native.slots(this.#cache))
    this.#drain()
    return slots
  }

  #remove(key: K): number {
    const slot = this.#removeKeepingSlot(key)
    if (this.#state[STATE_COUNT] !== 0) this.#drain()
    return slot
  }

  /** Removes natively; the slot's contents stay readable until the next drain. */
  #removeKeepingSlot(key: K): number {
    this.#writes++
    return this.#keying.needsToken(key)
      ? native.remove(this.#cache, key, this.#keying.lookup(key))
      : access.remove(this.#cache, this.#fastId, key)
  }

  #lookupTokens(keys: K[]): (number | undefined)[] | undefined {
    if (!keys.some((k) => this.#keying.needsToken(k))) return undefined
    return keys.map((k) => (this.#keying.needsToken(k) ? this.#keying.lookup(k) : undefined))
  }

  #allocate(key: K, value: V, rec: Interned | undefined): number {
    const slot = this.#freeSlots.length > 0 ? this.#freeSlots.pop()! : this.#nextSlot++
    if (slot > MAX_SLOT) {
      this.#nextSlot--
      if (rec !== undefined) this.#keying.discard(rec)
      throw new RangeError(`too many entries: at most ${MAX_SLOT + 1} can be held at once`)
    }
    // Like Map, a key of -0 is stored (and iterated) as 0.
    // (`Object.is` against -0 compiles to a check of the number; `key === 0`
    // on a string key called V8's generic equality.)
    this.#keys[slot] = (Object.is(key, -0) ? 0 : key) as K
    this.#values[slot] = value
    this.#retain(slot, rec)
    return slot
  }

  #retain(slot: number, rec: Interned | undefined): void {
    if (rec === undefined) return
    rec.refs++
    this.#interned[slot] = rec
  }

  /** Empties a slot whose native entry is gone, and makes it reusable. */
  #release(slot: number): void {
    this.#keys[slot] = undefined
    this.#values[slot] = undefined
    const rec = this.#interned[slot]
    if (rec !== undefined) {
      this.#interned[slot] = undefined
      this.#keying.unref(rec)
    }
    this.#freeSlots.push(slot)
  }

  #publishEviction(event: number): void {
    const slot = event >>> KIND_BITS
    evictionChannel.publish({ cache: this, key: this.#keys[slot], value: this.#values[slot], cause: protocol.CAUSES[event & KIND_MASK]! })
  }

  /**
   * Delivers the removals native calls published: each is notified to the
   * listener, then its slot is released. Runs after the native call has returned, so
   * the listener may use the cache. A throwing listener does not stop the
   * batch; the first error is rethrown at the end (all of them, in an
   * `AggregateError`, when several threw).
   */
  #drain(): void {
    const state = this.#state
    let errors: unknown[] | undefined
    // A listener may dispose the cache: nothing is called, released or flushed after that.
    while (!this.#disposed) {
      const count = state[STATE_COUNT]
      if (count === 0) {
        if (state[STATE_MORE] === 0) break
        state[STATE_MORE] = 0
        native.flush(this.#cache)
        continue
      }
      if (this.#listener === undefined && !evictionChannel.hasSubscribers) {
        // Releasing runs no user code and no native call, so nothing publishes
        // into `state` meanwhile: no copy needed. A listener or a diagnostics
        // subscriber is user code: the loop below copies first.
        for (let i = STATE_HEADER; i < STATE_HEADER + count; i++) this.#release(state[i]! >>> KIND_BITS)
        state[STATE_COUNT] = 0
        continue
      }
      const events = takePublished(state, count)
      for (let i = 0; i < count && !this.#disposed; i++) {
        const event = events[i]!
        const slot = event >>> KIND_BITS
        if (evictionChannel.hasSubscribers) this.#publishEviction(event)
        // A subscriber may have disposed the cache: then the listener gets nothing more, as after its own dispose.
        if (this.#listener !== undefined && !this.#disposed) {
          try {
            this.#listener(this.#keys[slot] as K, this.#values[slot] as V, CAUSES[event & KIND_MASK]!)
          } catch (error) {
            ;(errors ??= []).push(error)
          }
        }
        if (!this.#disposed) this.#release(slot)
      }
      spareEvents.push(events)
    }
    if (errors !== undefined) {
      throw listenerFailure(errors)
    }
  }
}


