// The addon's surface, as the generated loader exposes it. Only this module
// touches `binding.js`; everything else goes through these types.

/** One cache's native methods; each call publishes events into `state`. */
export interface NativeCache {
  /** Slot of a live entry, or -1. Counts a hit or a miss. */
  get(key: unknown, token?: number): number
  has(key: unknown, token?: number): boolean
  set(key: unknown, token: number | undefined, slot: number, weight?: number, ttlMs?: number, ttiMs?: number): void
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
  /** `[hits, misses, expired, explicit, replaced, size]` */
  stats(): Float64Array
  /** Publishes events that did not fit in `state` last time. */
  flush(): void
}

interface Binding {
  createCache(
    state: Uint32Array,
    maxCapacity: number,
    ttlMs: number | undefined,
    ttiMs: number | undefined,
    lru: boolean,
    weighted: boolean,
  ): NativeCache
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const binding: Binding = require('../loader.js')

/** Events are `slot << KIND_BITS | cause`, one per removal; see `src/events.rs`. */
export const KIND_BITS = 3
export const KIND_MASK = (1 << KIND_BITS) - 1
export const MAX_SLOT = 2 ** (32 - KIND_BITS) - 1
/** State layout: `[count, more, events...]`. */
export const STATE_COUNT = 0
export const STATE_MORE = 1
export const STATE_HEADER = 2
export const STATE_LENGTH = STATE_HEADER + 1022
