// The first tier: a `Moka` per process holding decoded entries, an index from
// tags to the entries carrying them, and the reads in flight that an
// invalidation must stop from filling L1 with what they read before it.

import { Moka } from '../core/moka'

/** One L1 entry: the value and what the tier knows about it. */
export interface LocalEntry<V> {
  value: V
  tags: readonly string[]
  /** Writer's wall clock when the value was produced (for refreshAfter). */
  createdAt: number
  /** `performance.now()` after which the value is past its ttl and only serves when a reload fails. */
  freshUntil: number
  /** `performance.now()` after which it is gone (its grace included). */
  staleUntil: number
}

/** A read from Redis in progress; `dirty` once an invalidation may have overtaken it. */
interface ReadMark {
  dirty: boolean
}

export class LocalTier<V> {
  readonly cache: Moka<string, LocalEntry<V>>
  /** tag → key → the entry that carries it (an entry identity, so a replaced entry's tags never drop its successor). */
  readonly #byTag = new Map<string, Map<string, LocalEntry<V>>>()
  readonly #reads = new Map<string, Set<ReadMark>>()

  constructor(options: { maxCapacity: number; ttl: number | undefined; policy: 'tinyLfu' | 'lru' }) {
    this.cache = new Moka<string, LocalEntry<V>>({
      maxCapacity: options.maxCapacity,
      ttl: options.ttl,
      policy: options.policy,
      // Entries carry the remaining lifetime of their Redis copy.
      perEntryExpiry: true,
      evictionListener: (key, entry) => this.#unindex(key, entry),
    })
  }

  /** Entries that left L1, by cause (L1 has a listener, so moka tells the causes). */
  evictions(): { expired: number; explicit: number; replaced: number; size: number } {
    return this.cache.stats().evictions!
  }

  /** The entry of `key`, fresh or within its grace. */
  get(key: string): LocalEntry<V> | undefined {
    return this.cache.get(key)
  }

  /** Stores `entry` for at most `ttl` ms (undefined: until evicted, or l1.ttl). */
  set(key: string, entry: LocalEntry<V>, ttl: number | undefined): void {
    if (ttl !== undefined && ttl <= 0) {
      this.cache.delete(key)
      return
    }
    // Indexed first: the entry it replaces, or the entry itself when evicted at once, is unindexed by identity.
    for (const tag of entry.tags) {
      let keys = this.#byTag.get(tag)
      if (keys === undefined) this.#byTag.set(tag, (keys = new Map()))
      keys.set(key, entry)
    }
    this.cache.set(key, entry, ttl === undefined ? undefined : { ttl: Math.max(1, Math.ceil(ttl)) })
  }

  delete(key: string): void {
    this.cache.delete(key)
    this.#overtake(key)
  }

  dropTags(tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#byTag.get(tag)
      if (keys !== undefined) for (const key of [...keys.keys()]) this.cache.delete(key)
    }
    this.#overtakeAll()
  }

  clear(): void {
    this.cache.clear()
    this.#overtakeAll()
  }

  /** Starts a read of `key` from Redis; `fillable()` tells whether its result may enter L1. */
  startRead(key: string): { fillable(): boolean; end(): void } {
    const mark: ReadMark = { dirty: false }
    let marks = this.#reads.get(key)
    if (marks === undefined) this.#reads.set(key, (marks = new Set()))
    marks.add(mark)
    const reads = this.#reads
    return {
      fillable: () => !mark.dirty,
      end() {
        marks.delete(mark)
        if (marks.size === 0 && reads.get(key) === marks) reads.delete(key)
      },
    }
  }

  #overtake(key: string): void {
    const marks = this.#reads.get(key)
    if (marks !== undefined) for (const mark of marks) mark.dirty = true
  }

  #overtakeAll(): void {
    for (const marks of this.#reads.values()) for (const mark of marks) mark.dirty = true
  }

  #unindex(key: string, entry: LocalEntry<V>): void {
    for (const tag of entry.tags) {
      const keys = this.#byTag.get(tag)
      if (keys?.get(key) !== entry) continue
      keys.delete(key)
      if (keys.size === 0) this.#byTag.delete(tag)
    }
  }
}
