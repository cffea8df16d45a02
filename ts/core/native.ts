// The addon's surface, as the generated loader exposes it. Only this module
// touches `binding.js`; everything else goes through these types. The
// protocol constants come from the addon itself (`src/protocol.rs`), so the
// two sides cannot disagree.

/** One cache's native methods; each call publishes events into `state`. */
export interface NativeCache {
  /** Where removals are published: `[count, more, events...]`. */
  readonly state: Uint32Array
  /** Slot of a live entry, or -1. Counts a hit or a miss. */
  get(key: unknown, token?: number): number
  has(key: unknown, token?: number): boolean
  set(key: unknown, slot: number, token?: number, weight?: number, ttlMs?: number, ttiMs?: number): void
  /** Slot of the removed entry, or -1. */
  remove(key: unknown, token?: number): number
  /** Removes `key` only while it still maps to `slot`. */
  removeSlot(key: unknown, token: number | undefined, slot: number): boolean
  getMany(keys: unknown[], tokens?: (number | undefined)[]): Int32Array
  setMany(keys: unknown[], tokens: (number | undefined)[] | undefined, slots: number[], weights?: number[]): void
  clear(): void
  runPendingTasks(): void
  size(): number
  weightedSize(): number
  slots(): Int32Array
  /** In the order of `protocol.STATS`. */
  stats(): Float64Array
  /**
   * `policy: 'adaptive'` only: `[policy in force (0 tinyLfu, 1 lru),
   * switches, migrating (0/1), LRU shadow hit ratio, TinyLFU shadow hit
   * ratio, sampled reads]`; empty for the other caches.
   */
  adaptiveInfo(): Float64Array
  /** Publishes events that did not fit in `state` last time. */
  flush(): void
  /** Frees the native cache now; later calls throw. */
  dispose(): void
}

/** Names of the native methods, in the order the addon reports them. */
export type NativeMethod = Exclude<keyof NativeCache, 'state'>

export interface Protocol {
  readonly KIND_BITS: number
  readonly MAX_SLOT: number
  readonly STATE_COUNT: number
  readonly STATE_MORE: number
  readonly STATE_HEADER: number
  readonly STATE_LENGTH: number
  readonly MAX_DURATION_MS: number
  readonly RELEASED: number
  readonly EXPIRED: number
  readonly SIZE: number
  /** Cause names by event kind (`'released'`: no listener, cause unknown). */
  readonly CAUSES: readonly string[]
  /** Names of the figures `stats()` returns, in order. */
  readonly STATS: readonly string[]
  readonly METHODS: readonly NativeMethod[]
}

interface Binding {
  createCache(
    maxCapacity: number,
    ttlMs: number | undefined,
    ttiMs: number | undefined,
    lru: boolean,
    weighted: boolean,
    notify: boolean,
    perEntryExpiry: boolean,
    adaptive: boolean,
  ): NativeCache
  protocol: Protocol
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const binding: Binding = require('../../loader.js')
export const protocol: Protocol = binding.protocol

export const { KIND_BITS, MAX_SLOT, STATE_COUNT, STATE_MORE, STATE_HEADER } = protocol
export const KIND_MASK = (1 << KIND_BITS) - 1
