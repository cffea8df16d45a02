// The addon's `SharedMoka` surface (`src/shared/`), as the generated loader
// exposes it. Only this module loads it for the shared cache.

/** A value as the addon hands it back: a copy, decoded by `Codec#decode`. */
export type RawValue = string | Uint8Array | ArrayBuffer

/** A snapshot of the live entries (see `src/shared/snapshot.rs`). */
export interface NativeSnapshot {
  length(): number
  key(i: number): SharedKey
  value(i: number): RawValue
  /** Removes entry `i` only while the cache still holds that very value. */
  removeIfUnchanged(i: number): boolean
}

declare const NATIVE_HANDLE: unique symbol

/** One thread's handle on a shared cache (see `src/shared/handle.rs`): what `open` returns, an opaque `External`. */
export interface NativeHandle {
  readonly [NATIVE_HANDLE]: true
}

/**
 * The handle methods: one function each, for every handle, which is their
 * first argument (so a call site calls one function whatever the cache).
 */
export interface NativeHandleMethods {
  get(handle: NativeHandle, key: SharedKey): RawValue | undefined
  has(handle: NativeHandle, key: SharedKey): boolean
  set(handle: NativeHandle, key: SharedKey, value: string | Uint8Array, kind: number, ttlMs?: number, ttiMs?: number): void
  /** Stores unless a live entry exists; returns that entry's value, or undefined when it stored. */
  setIfAbsent(handle: NativeHandle, key: SharedKey, value: string | Uint8Array, kind: number, ttlMs?: number, ttiMs?: number): RawValue | undefined
  delete(handle: NativeHandle, key: SharedKey): boolean
  /** Removes and returns the value. */
  take(handle: NativeHandle, key: SharedKey): RawValue | undefined
  clear(handle: NativeHandle): void
  runPendingTasks(handle: NativeHandle): void
  size(handle: NativeHandle): number
  weightedSize(handle: NativeHandle): number
  /** `[hits, misses, expired, explicit, replaced, size, listenerDropped, waiting]`; removals are NaN when not counted. */
  stats(handle: NativeHandle): Float64Array
  /** Loads running now, from every thread. */
  inFlight(handle: NativeHandle): number
  snapshot(handle: NativeHandle): NativeSnapshot
  /**
   * The cached value, a ticket (a number: the right and the duty to finish
   * the load, see `src/shared/ticket.rs`), or null: registered as waiter
   * `wait` of a load running elsewhere.
   */
  acquire(handle: NativeHandle, key: SharedKey, wait: number): RawValue | number | null
  /** Removes waiter `wait` from the load of `key`; false when its outcome is already queued for this thread. */
  cancelWait(handle: NativeHandle, key: SharedKey, wait: number): boolean
  /** Stores the value (unless `store` is false) and hands it to the waiters of every thread. */
  resolve(handle: NativeHandle, ticket: number, value: string | Uint8Array, kind: number, ttlMs: number | undefined, ttiMs: number | undefined, store: boolean): void
  /** Hands the waiters a serialized rejection. */
  reject(handle: NativeHandle, ticket: number, error: Uint8Array): void
  /** The waiters retry; one of them loads. */
  abandon(handle: NativeHandle, ticket: number): void
  close(handle: NativeHandle): void
}

interface SharedBinding {
  open(
    name: string,
    maxCapacity: number,
    ttlMs: number | undefined,
    ttiMs: number | undefined,
    lru: boolean,
    weighBytes: boolean,
    /** The serializer's format code (`Codec#format`). */
    serializer: number,
    notify: boolean,
    perEntryExpiry: boolean,
    dispatch: (batch: unknown[]) => void,
    /** Most bytes of removals queued for `dispatch`; the rest are dropped and counted. */
    listenerQueueBytes: number,
  ): NativeHandle
  methods: NativeHandleMethods
}

/** Keys a shared cache accepts: primitives that every thread can compare. */
export type SharedKey = string | number | bigint | boolean

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const shared: SharedBinding = (require('../../loader.js') as { sharedBinding(): SharedBinding }).sharedBinding()
export const handleMethods: NativeHandleMethods = shared.methods

/** Value kinds (see `src/shared/value.rs`). */
export const STRING = 0
export const BYTES = 2
export const BUFFER = 3
export const SERIALIZED = 4

/** What `dispatch` receives: flat `[kind, wait or cause or count, key, value]` quadruples (see `src/shared/port.rs`). */
export const LOADED = 0
export const FAILED = 1
export const RETRY = 2
export const REMOVED = 3
/** `[OVERFLOW, how many removals were dropped]` ends a batch when any were. */
export const OVERFLOW = 4
