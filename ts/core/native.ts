// The addon's surface, as the generated loader exposes it. Only this module
// touches `binding.js`; everything else goes through these types. The
// protocol constants come from the addon itself (`src/protocol.rs`), so the
// two sides cannot disagree.

declare const NATIVE_CACHE: unique symbol

/** One native cache: what `createCache` returns, the first argument of every method (an opaque `External`). */
export interface NativeCache {
  readonly [NATIVE_CACHE]: true
}

/**
 * The native methods: one function each, for every cache, which is their
 * first argument (so a call site calls one function whatever the cache).
 * Each call publishes the cache's events into its `state`.
 */
export interface NativeMethods {
  /** Slot of a live entry, or -1. Counts a hit or a miss. */
  get(cache: NativeCache, key: unknown, token?: number): number
  has(cache: NativeCache, key: unknown, token?: number): boolean
  set(cache: NativeCache, key: unknown, slot: number, token?: number, weight?: number, ttlMs?: number, ttiMs?: number): void
  /** Slot of the removed entry, or -1. */
  remove(cache: NativeCache, key: unknown, token?: number): number
  /** Removes `key` only while it still maps to `slot`. */
  removeSlot(cache: NativeCache, key: unknown, token: number | undefined, slot: number): boolean
  getMany(cache: NativeCache, keys: unknown[], tokens?: (number | undefined)[]): Int32Array
  setMany(cache: NativeCache, keys: unknown[], tokens: (number | undefined)[] | undefined, slots: number[], weights?: number[]): void
  clear(cache: NativeCache): void
  runPendingTasks(cache: NativeCache): void
  size(cache: NativeCache): number
  weightedSize(cache: NativeCache): number
  slots(cache: NativeCache): Int32Array
  /** In the order of `protocol.STATS`. */
  stats(cache: NativeCache): Float64Array
  /**
   * `policy: 'adaptive'` only: `[policy in force (0 tinyLfu, 1 lru),
   * switches, migrating (0/1), LRU shadow hit ratio, TinyLFU shadow hit
   * ratio, sampled reads]`; empty for the other caches.
   */
  adaptiveInfo(cache: NativeCache): Float64Array
  /** Publishes events that did not fit in `state` last time. */
  flush(cache: NativeCache): void
  /** What every method does after its operation that the accelerator leaves (report memory, adapt): for calls it took (`fast.ts`). */
  settle(cache: NativeCache): void
  /** The cache's fast id, the accelerator's name for it; -1 when it has none. */
  fastId(cache: NativeCache): number
  /** Frees the native cache now; later calls throw. */
  dispose(cache: NativeCache): void
}

/** Names of the native methods, in the order the addon reports them. */
export type NativeMethod = keyof NativeMethods

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
  /** What an accelerator call returns when it did nothing (`fast.ts`). */
  readonly FAST_NOT_TAKEN: number
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
  ): {
    cache: NativeCache
    /** Where the cache's removals are published: `[count, more, events...]`. */
    state: Uint32Array
  }
  cacheMethods: NativeMethods
  protocol: Protocol
  /** Where the accelerator finds the addon's fast entry points (`fast.ts`). */
  fastAbi: bigint
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const binding: Binding = require('../../loader.js')
export const protocol: Protocol = binding.protocol
export const native: NativeMethods = binding.cacheMethods

export const { KIND_BITS, MAX_SLOT, STATE_COUNT, STATE_MORE, STATE_HEADER } = protocol
export const KIND_MASK = (1 << KIND_BITS) - 1
