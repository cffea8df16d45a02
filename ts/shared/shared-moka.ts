import { evictionChannel, hitChannel, missChannel, initialize, publishLookup, timedLoader } from '../core/diagnostics'
import { describe } from '../core/duration'
import { checkFetchOptions, FetchOptions } from '../core/fetch'
import { Keying } from '../core/keys'
import { CacheStats, shadowRetired } from '../core/moka'
import { checkPerEntry, entryExpiry, type EvictionListener } from '../core/options'
import type { SetOptions } from '../core/options'
import { Codec } from './codec'
import { loadShared, LoadContext, SharedLoader } from './fetch'
import { Inbox } from './inbox'
import { handleMethods as native, NativeHandle, shared, SharedKey, STRING } from './native'
import { SharedMokaOptions, validateSharedOptions } from './options'
import { abortReason, Flights } from '../core/singleflight'
import { refuseCloning } from '../core/uncloneable'

/**
 * `stats()` of a shared cache: counts of every thread. Removals are known
 * only to a cache created with an `evictionListener` (moka reports them to a
 * listener only); otherwise `removed` and `evictions` are undefined.
 */
export interface SharedCacheStats extends Omit<CacheStats, 'removed'> {
  removed: number | undefined
  /** Removal notifications this handle's listener lost because its queue was full (`listenerQueueBytes`). */
  listenerDropped: number
  /** Callers of every thread waiting now for a load another caller runs (`fetch`); one that gives up stops counting at once. */
  waiting: number
}

/** What a closed handle refuses, naming the method called (see `shadowRetired`). */
const CLOSED_USES = {
  methods: ['get', 'has', 'set', 'getWith', 'delete', 'remove', 'clear', 'runPendingTasks', 'invalidateIf', 'entries', 'keys', 'values', 'forEach', 'stats'],
  asyncMethods: ['fetch'],
  getters: ['size', 'weightedSize', 'loadsInFlight'],
} as const

/** The default report of lost notifications: a process warning, once per batch. */
function warnOverflow(name: string): (dropped: number) => void {
  return (dropped) =>
    process.emitWarning(
      `SharedMoka ${JSON.stringify(name)}: ${dropped} removal notifications dropped: this thread's event loop was busy ` +
        `and its listener queue full (listenerQueueBytes); see stats().listenerDropped`,
      { code: 'MOKA_JS_LISTENER_OVERFLOW' },
    )
}

/** A key is checked where a JS structure would take it before the addon sees it. */
function checkKey(key: unknown): asserts key is SharedKey {
  const t = typeof key
  if (t !== 'string' && t !== 'number' && t !== 'bigint' && t !== 'boolean') {
    throw new TypeError(`key must be a string, number, bigint or boolean, got ${key === null ? 'null' : t}`)
  }
}

/**
 * One moka cache for the whole process: every thread (main and
 * `worker_threads`) that constructs a `SharedMoka` with the same `name` gets
 * a handle on the same native cache, which lives while any handle does.
 *
 * Keys are strings, numbers, bigints and booleans (`Map` equality). Values
 * are held as bytes in native memory, off the V8 heap: strings and
 * `Uint8Array`s/`Buffer`s as they are, anything else through `v8.serialize`
 * (or the `serializer` option). Reads return a copy.
 */
export class SharedMoka<K extends SharedKey = SharedKey, V = unknown> implements Iterable<[K, V]> {
  /** The native handle, the first argument of every `native` method (one function for all handles). */
  readonly #handle: NativeHandle
  readonly #name: string
  readonly #codec: Codec<V>
  readonly #inbox: Inbox<K, V>
  readonly #flights = new Flights(new Keying())
  readonly #load: LoadContext<K, V>
  readonly #perEntryExpiry: boolean
  #closed = false

  constructor(options: SharedMokaOptions<K, V>) {
    const o = validateSharedOptions<K, V>(options)
    this.#name = o.name
    this.#codec = new Codec(o.serializer)
    this.#inbox = new Inbox(this.#codec, this.#published(o.evictionListener), undefined, o.onListenerOverflow ?? warnOverflow(o.name))
    this.#perEntryExpiry = o.perEntryExpiry
    this.#handle = shared.open(
      o.name,
      o.maxCapacity,
      o.ttl,
      o.tti,
      o.lru,
      o.weighBytes,
      this.#codec.format,
      o.evictionListener !== undefined,
      o.perEntryExpiry,
      this.#inbox.dispatch,
      o.listenerQueueBytes,
    )
    this.#load = { handle: this.#handle, codec: this.#codec, inbox: this.#inbox }
    refuseCloning(
      this,
      `a SharedMoka handle cannot be cloned or sent to another thread (structuredClone, postMessage, v8.serialize): ` +
        `construct one there with the same name (new SharedMoka({ name: ${JSON.stringify(o.name)}, ... })) to share the cache.`,
    )
  }

  /** The cache's name in this process. */
  get name(): string {
    return this.#name
  }

  /** Whether the cache was built with `perEntryExpiry: true` (per-entry `ttl`/`tti` allowed). */
  get perEntryExpiry(): boolean {
    return this.#perEntryExpiry
  }

  /** A copy of the value of `key`, or `fallback` when absent or expired. A read: counts a hit or miss. */
  get(key: K): V | undefined
  get(key: K, fallback: V): V
  get(key: K, fallback?: V): V | undefined {
    const raw = native.get(this.#handle, key)
    if (raw === undefined ? missChannel.hasSubscribers : hitChannel.hasSubscribers) publishLookup(this, key, raw !== undefined)
    if (raw === undefined) return fallback
    return typeof raw === 'string' ? (raw as V) : this.#codec.decode(raw)
  }

  /** Whether `key` has a live entry. Not a read: no popularity, no idle reset. */
  has(key: K): boolean {
    return native.has(this.#handle, key)
  }

  /**
   * Stores a copy of `value` under `key`, with optional per-entry `ttl`/`tti`
   * (they can shorten the cache's, not extend them; they need
   * `perEntryExpiry: true`). Returns the cache.
   * A value that cannot be serialized, or larger than the whole cache with
   * `weigher: 'bytes'`, throws and changes nothing.
   */
  set(key: K, value: V, options?: SetOptions): this {
    const { ttl, tti } = entryExpiry(options, this.#perEntryExpiry, 'set')
    if (typeof value === 'string') {
      native.set(this.#handle, key, value, STRING, ttl, tti)
    } else {
      const kind = this.#codec.kind(value)
      native.set(this.#handle, key, this.#codec.payload(value, kind), kind, ttl, tti)
    }
    return this
  }

  /**
   * The value of `key`; when absent, `init(key)` computes it on this thread
   * and it is stored unless another thread stored one first, which is then
   * returned, with the per-entry `ttl`/`tti` given. Synchronous code cannot
   * wait for another thread: use `fetch` for one load per key across threads.
   */
  getWith(key: K, init: (key: K) => V, options?: SetOptions): V {
    if (typeof init !== 'function') throw new TypeError(`init must be a function, got ${describe(init)}`)
    const { ttl, tti } = entryExpiry(options, this.#perEntryExpiry, 'getWith')
    const raw = native.get(this.#handle, key)
    if (raw === undefined ? missChannel.hasSubscribers : hitChannel.hasSubscribers) publishLookup(this, key, raw !== undefined)
    if (raw !== undefined) return this.#codec.decode(raw)
    const value = initialize(this, key, init)
    const kind = this.#codec.kind(value)
    const existing = native.setIfAbsent(this.#handle, key, this.#codec.payload(value, kind), kind, ttl, tti)
    return existing === undefined ? value : this.#codec.decode(existing)
  }

  /**
   * The value of `key`, or else `loader(key, { signal })`'s, stored and
   * returned. Concurrent calls for one key, from every thread, run one
   * loader; the others wait without blocking their event loop and get a
   * copy of its value, or its rejection (a structured clone of the error).
   * If the loading thread exits, is terminated, or stops waiting (its
   * `timeout`, or all its callers aborted), a waiting thread loads instead.
   * `signal` and `timeout` work as for `Moka#fetch`; the caller that runs
   * the loader gets its value itself, the others a copy.
   */
  fetch(key: K, loader: SharedLoader<K, V>, options?: FetchOptions<V>): Promise<V> {
    checkKey(key)
    if (typeof loader !== 'function') throw new TypeError(`loader must be a function, got ${describe(loader)}`)
    const { signal, timeout, ttl, tti } = checkFetchOptions<V>(options)
    checkPerEntry(ttl !== undefined || tti !== undefined, this.#perEntryExpiry, 'fetch')
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    const raw = native.get(this.#handle, key)
    if (raw !== undefined) return Promise.resolve(this.#codec.decode(raw))
    const running = this.#flights.get<V>(key)
    if (running !== undefined) return running.join(signal, timeout)
    const flight = this.#flights.start<V>(key, {
      // Without a timeout, and with a first caller that cannot leave, the load's signal never aborts.
      attempt: (loadSignal) => loadShared(this.#load, key, timedLoader(this, loader), { ttl, tti }, loadSignal, timeout !== undefined || signal !== undefined),
      timeout,
      // The attempt stores the value itself, before other threads learn it.
      onValue: () => {},
    })
    return flight.join(signal)
  }

  /** Removes `key`; true if it had a live entry. */
  delete(key: K): boolean {
    return native.delete(this.#handle, key)
  }

  /** Removes `key` and returns (a copy of) its value, undefined when absent. */
  remove(key: K): V | undefined {
    const raw = native.take(this.#handle, key)
    return raw === undefined ? undefined : this.#codec.decode(raw)
  }

  /** Removes every entry now. Writes racing with it from other threads may survive it. */
  clear(): void {
    native.clear(this.#handle)
  }

  /** Runs moka's pending maintenance: evictions, expirations, notifications. */
  runPendingTasks(): void {
    native.runPendingTasks(this.#handle)
  }

  /** Number of entries, after pending maintenance has run. */
  get size(): number {
    return native.size(this.#handle)
  }

  /** Total weight (bytes of keys and values with `weigher: 'bytes'`, else entries), after pending maintenance. */
  get weightedSize(): number {
    return native.weightedSize(this.#handle)
  }

  /**
   * Removes every entry for which `predicate(key, value)` is true; returns
   * how many. The predicate runs on this thread, on a snapshot, never while
   * the cache is locked; an entry replaced or removed meanwhile (by any
   * thread) is spared.
   */
  invalidateIf(predicate: (key: K, value: V) => boolean): number {
    if (typeof predicate !== 'function') throw new TypeError(`predicate must be a function, got ${describe(predicate)}`)
    const snapshot = native.snapshot(this.#handle)
    let removed = 0
    for (let i = 0, n = snapshot.length(); i < n; i++) {
      if (!predicate(snapshot.key(i) as K, this.#codec.decode(snapshot.value(i)))) continue
      if (snapshot.removeIfUnchanged(i)) removed++
    }
    return removed
  }

  /** `[key, value]` pairs (copies) of the live entries, from a snapshot taken when iteration starts. */
  *entries(): IterableIterator<[K, V]> {
    const snapshot = native.snapshot(this.#handle)
    for (let i = 0, n = snapshot.length(); i < n; i++) {
      yield [snapshot.key(i) as K, this.#codec.decode(snapshot.value(i))]
    }
  }

  *keys(): IterableIterator<K> {
    const snapshot = native.snapshot(this.#handle)
    for (let i = 0, n = snapshot.length(); i < n; i++) yield snapshot.key(i) as K
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

  /**
   * The listener, with each removal published first on `moka-js:eviction`
   * while someone subscribes: removals reach only the threads whose handle
   * has a listener, when that thread's event loop delivers them.
   */
  #published(listener: EvictionListener<K, V> | undefined): EvictionListener<K, V> | undefined {
    if (listener === undefined) return undefined
    return (key, value, cause) => {
      if (evictionChannel.hasSubscribers) evictionChannel.publish({ cache: this, key, value, cause })
      // A subscriber may have closed the handle: its listener is then called no more.
      if (!this.#closed) listener(key, value, cause)
    }
  }

  /** Counters of every thread since the cache was created; `evictions` when it has an `evictionListener`. */
  stats(): SharedCacheStats {
    const [hits, misses, expired, explicit, replaced, size, listenerDropped, waiting] = native.stats(this.#handle)
    const counted = !Number.isNaN(expired)
    return {
      hits,
      misses,
      hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
      removed: counted ? expired + explicit + replaced + size : undefined,
      evictions: counted ? { expired, explicit, replaced, size } : undefined,
      listenerDropped,
      waiting,
    }
  }

  /** Loads running now, from every thread. */
  get loadsInFlight(): number {
    return native.inFlight(this.#handle)
  }

  /** Whether `close()` was called on this handle. */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * Drops this handle: its methods throw from now on, its pending `fetch`
   * waits reject, its listener gets nothing more. The cache itself lives
   * while another handle (any thread) does. A handle that is garbage
   * collected, or whose worker exits, is dropped the same way.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    native.close(this.#handle)
    const name = JSON.stringify(this.#name)
    this.#inbox.rejectAll(new Error(`SharedMoka ${name}: this handle was closed while fetch() waited`))
    shadowRetired(this, { ...CLOSED_USES, error: (use) => new Error(`SharedMoka ${name}: this handle was closed; ${use} after close()`) })
  }

  [Symbol.dispose](): void {
    this.close()
  }

  get [Symbol.toStringTag](): string {
    return 'SharedMoka'
  }
}
