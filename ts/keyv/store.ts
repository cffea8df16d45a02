// A Keyv store (the storage adapter of Keyv 5, and through Keyv of
// cache-manager 6/7 and NestJS's CacheModule) over a Moka or a SharedMoka.
// It implements Keyv's store interface by shape: Keyv is not imported, so it
// stays out of moka-js's dependencies.

import { describe, Duration } from '../core/duration'
import { Moka } from '../core/moka'
import { protocol } from '../core/native'
import { optionObject } from '../core/options'
import { SharedMoka } from '../shared/shared-moka'

/** The cache a store writes into: Keyv's keys are strings; values are what Keyv stores (its serialized strings by default). */
export type KeyvMokaCache = Moka<string, unknown> | SharedMoka<string, unknown>

export interface KeyvMokaOptions {
  /**
   * Bound on the number of entries the store's cache holds (moka evicts by
   * TinyLFU or LRU beyond it). An integer ≥ 0; default 10,000.
   */
  maxCapacity?: number
  /**
   * Longest time an entry is kept after it was written, whatever ttl Keyv
   * asks (per-entry ttls can shorten it, not extend it). Milliseconds or
   * `'10m'`-style string. Default: none, entries live as long as Keyv's ttl.
   */
  ttl?: Duration
  /** Time to idle: an entry not read or written for this long expires. Default: none. */
  tti?: Duration
  /** `'tinyLfu'` (default: best hit ratio on most workloads) or `'lru'`. */
  policy?: 'tinyLfu' | 'lru'
  /**
   * Stores into the `SharedMoka` of this name: every worker thread of the
   * process that builds a store with the same name and options shares one cache.
   */
  shared?: string
  /**
   * Stores into this cache instead of building one, so that several stores
   * (one per Keyv namespace, say) share one bound. It must have been built
   * with `perEntryExpiry: true`, and no other option may be given.
   */
  cache?: KeyvMokaCache
}

/** Default `maxCapacity` of a store's cache. */
export const DEFAULT_KEYV_CAPACITY = 10_000

const OPTIONS = ['maxCapacity', 'ttl', 'tti', 'policy', 'shared', 'cache']

/** The option errors of the cache the store builds, as the same class with a `KeyvMoka: ` prefix. */
function named(error: unknown): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError) || error.message.startsWith('KeyvMoka')) return error
  const Class = error instanceof RangeError ? RangeError : TypeError
  return new Class(`KeyvMoka: ${error.message}`)
}

/** The cache the options describe, built with per-entry expiry so that Keyv's ttl of each entry becomes moka's. */
function buildCache(options: unknown): KeyvMokaCache {
  const o = optionObject(options === undefined ? {} : options, 'KeyvMoka', OPTIONS, 'KeyvMoka options must be an object')
  const { cache, shared, maxCapacity = DEFAULT_KEYV_CAPACITY, ...rest } = o
  if (cache !== undefined) {
    if (!(cache instanceof Moka || cache instanceof SharedMoka)) {
      throw new TypeError(`KeyvMoka: cache must be a Moka or a SharedMoka, got ${describe(cache)}`)
    }
    const others = Object.keys(o).filter((name) => name !== 'cache' && o[name] !== undefined)
    if (others.length > 0) throw new TypeError(`KeyvMoka: cache is given, so ${others.join(', ')} must not be (they are the cache's own)`)
    if (!cache.perEntryExpiry) {
      throw new TypeError('KeyvMoka: cache must be built with perEntryExpiry: true (Keyv gives each entry its own ttl)')
    }
    return cache as KeyvMokaCache
  }
  try {
    if (shared === undefined) return new Moka<string, unknown>({ ...rest, maxCapacity: maxCapacity as number, perEntryExpiry: true })
    if (typeof shared !== 'string' || shared.length === 0) {
      throw new TypeError(`KeyvMoka: shared must be a non-empty string (the SharedMoka's name), got ${describe(shared)}`)
    }
    return new SharedMoka<string, unknown>({ ...rest, name: shared, maxCapacity: maxCapacity as number, perEntryExpiry: true })
  } catch (error) {
    throw named(error)
  }
}

/** moka's longest duration: a ttl beyond it gets no per-entry deadline (Keyv still checks its own). */
const MAX_TTL = protocol.MAX_DURATION_MS

/**
 * A Keyv store over moka: `new Keyv({ store: new KeyvMoka({ maxCapacity: 10_000 }) })`.
 *
 * Keyv's per-entry ttl becomes moka's per-entry expiry, so an expired entry
 * is gone from the cache, not only hidden by Keyv. Keyv passes keys already
 * prefixed with its namespace (`namespace:key`); `clear()` removes only the
 * current namespace's keys, and the whole cache when Keyv has no namespace.
 * Values are stored as Keyv gives them: its serialized strings by default
 * (copies), or, with `serialize: undefined`, its `{ value, expires }` objects,
 * which a Moka keeps by reference and a SharedMoka copies.
 */
export class KeyvMoka {
  /** The cache the store writes into. */
  readonly cache: KeyvMokaCache
  /**
   * Set by Keyv: its namespace, the prefix of its keys (`namespace:`). Not an
   * own property until then: a store that has one tells Keyv 6 it prefixes
   * keys itself, which this store leaves to Keyv.
   */
  declare namespace: string | undefined

  constructor(options: KeyvMokaOptions = {}) {
    this.cache = buildCache(options)
  }

  /**
   * Keyv subscribes to its store's `'error'` events. This store has none to
   * send: a failing call rejects, and Keyv reports that itself. Listeners are
   * not kept, so a store wrapped by many Keyv instances holds nothing for them.
   */
  on(_event: string, _listener: (...args: unknown[]) => void): this {
    return this
  }

  /**
   * What Keyv reads of a store. Keyv 5 turns on `keyv.iterator()` only for
   * stores whose dialect is one of its own adapters'; this store iterates
   * the way @keyv/redis does (`iterator(namespace)` yields that namespace's
   * `[key, raw]` pairs), so it reports that dialect. Keyv reads it for nothing else.
   */
  get opts(): { dialect: string; url: string; namespace: string | undefined } {
    const url = this.cache instanceof SharedMoka ? `moka://shared/${encodeURIComponent(this.cache.name)}` : 'moka://memory'
    return { dialect: 'redis', url, namespace: this.namespace }
  }

  /** What Keyv stored under `key` (its serialized string by default), or undefined. */
  async get<Value>(key: string): Promise<Value | undefined> {
    return this.cache.get(key) as Value | undefined
  }

  /** Values of `keys` (one native call on a Moka); `undefined` for misses. */
  async getMany<Value>(keys: string[]): Promise<(Value | undefined)[]> {
    const { cache } = this
    return (cache instanceof Moka ? cache.getMany(keys) : keys.map((key) => cache.get(key))) as (Value | undefined)[]
  }

  /**
   * Stores `value` under `key`; `ttl` (ms, from Keyv) becomes the entry's own
   * expiry. A ttl that has already run out removes the key; one beyond
   * moka's 1000 years sets no deadline.
   */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.#write(key, value, ttl)
    return true
  }

  /** Stores every entry, in order; runs without a ttl go to the cache in one native call on a Moka. */
  async setMany(entries: { key: string; value: unknown; ttl?: number }[]): Promise<boolean[]> {
    const { cache } = this
    let run: [string, unknown][] = []
    const flush = () => {
      if (run.length > 0) (cache as Moka<string, unknown>).setMany(run)
      run = []
    }
    for (const { key, value, ttl } of entries) {
      if (cache instanceof Moka && ttl === undefined) {
        run.push([key, value])
        continue
      }
      flush()
      this.#write(key, value, ttl)
    }
    flush()
    return entries.map(() => true)
  }

  async has(key: string): Promise<boolean> {
    return this.cache.has(key)
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return keys.map((key) => this.cache.has(key))
  }

  /** Removes `key`; true if it had a live entry. */
  async delete(key: string): Promise<boolean> {
    return this.cache.delete(key)
  }

  /** Removes `keys`; true if every one had a live entry (what Keyv answers for stores without `deleteMany`). */
  async deleteMany(keys: string[]): Promise<boolean> {
    let all = true
    for (const key of keys) if (!this.cache.delete(key)) all = false
    return all
  }

  /** Removes the current namespace's entries, or every entry when Keyv has no namespace. */
  async clear(): Promise<void> {
    if (this.namespace === undefined) {
      this.cache.clear()
      return
    }
    const prefix = `${this.namespace}:`
    for (const key of [...this.cache.keys()]) if (typeof key === 'string' && key.startsWith(prefix)) this.cache.delete(key)
  }

  /**
   * `[key, raw]` pairs of the live entries of `namespace` (of every entry
   * without one), keys as stored (`namespace:key`), from a snapshot taken
   * when iteration starts.
   */
  async *iterator<Value>(namespace?: string): AsyncGenerator<[string, Value], void> {
    const prefix = namespace === undefined ? undefined : `${namespace}:`
    for (const [key, raw] of this.cache.entries()) {
      if (prefix === undefined || (typeof key === 'string' && key.startsWith(prefix))) yield [key, raw as Value]
    }
  }

  #write(key: string, value: unknown, ttl: number | undefined): void {
    if (ttl === undefined || ttl > MAX_TTL) {
      this.cache.set(key, value)
      return
    }
    if (typeof ttl !== 'number' || Number.isNaN(ttl)) {
      throw new TypeError(`KeyvMoka: ttl must be a number of milliseconds, got ${describe(ttl)}`)
    }
    if (ttl <= 0) this.cache.delete(key)
    else this.cache.set(key, value, { ttl })
  }
}
