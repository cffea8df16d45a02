// Options of `new SharedMoka(...)`, checked once and named when wrong.

import { describe, Duration } from '../core/duration'
import { RemovalCause, validateOptions } from '../core/options'
import type { SerializerOption } from '../codec/serializer'
import type { SharedKey } from './native'

export interface SharedMokaOptions<K extends SharedKey, V> {
  /**
   * The cache's name in this process. Every thread (main or worker) that
   * opens this name gets a handle on the same cache; the first creates it.
   */
  name: string
  /** Bound on the number of entries, or on their bytes with `weigher: 'bytes'`. Required; an integer ≥ 0. */
  maxCapacity: number
  /** Time to live: an entry expires this long after it was written. Milliseconds or `'30s'`-style string. */
  ttl?: Duration
  /** Time to idle: an entry expires this long after it was last read or written. */
  tti?: Duration
  /** Eviction policy: `'tinyLfu'` (default) or `'lru'`, as for `Moka`. */
  policy?: 'tinyLfu' | 'lru'
  /** `'bytes'`: `maxCapacity` counts the bytes of keys and values (as stored) instead of entries. */
  weigher?: 'bytes'
  /**
   * Turns values that are neither strings nor `Uint8Array`s into bytes and
   * back: `'v8'` (default: structured clone, as `postMessage`), `'json'`, or
   * `{ serialize, deserialize }`. Every thread must pass the same one.
   */
  serializer?: SerializerOption<V>
  /**
   * Allow per-entry `ttl`/`tti` (`set`, `getWith`, `fetch`), as for `Moka`.
   * Default `false`: moka is built without per-entry expiry, which is faster,
   * and per-entry options throw a `TypeError`.
   */
  perEntryExpiry?: boolean
  /**
   * Called on this thread, asynchronously, once for every entry that leaves
   * the cache (whichever thread removed it), with a copy of its key and value.
   * The cache must be created with a listener for any thread to have one.
   */
  evictionListener?: (key: K, value: V, cause: RemovalCause) => void
  /**
   * Most bytes of removal notifications queued for this thread's listener
   * while its event loop is busy (each counted as its key and value bytes
   * plus 64). Past it, notifications are dropped, counted in
   * `stats().listenerDropped` and reported once per batch to
   * `onListenerOverflow` (or as a process warning). Default 64 MiB. Load
   * outcomes of `fetch` are never dropped.
   */
  listenerQueueBytes?: number
  /** Told how many removal notifications this thread's listener lost to a full queue, once per batch. */
  onListenerOverflow?: (dropped: number) => void
}

/** Default `listenerQueueBytes`. */
export const LISTENER_QUEUE_BYTES = 64 * 1024 * 1024

export interface ValidSharedOptions<K extends SharedKey, V> {
  name: string
  maxCapacity: number
  ttl: number | undefined
  tti: number | undefined
  lru: boolean
  weighBytes: boolean
  serializer: SerializerOption<V> | undefined
  evictionListener: ((key: K, value: V, cause: RemovalCause) => void) | undefined
  perEntryExpiry: boolean
  listenerQueueBytes: number
  onListenerOverflow: ((dropped: number) => void) | undefined
}

const KNOWN: ReadonlySet<string> = new Set([
  'name', 'maxCapacity', 'ttl', 'tti', 'policy', 'weigher', 'serializer', 'evictionListener', 'perEntryExpiry', 'listenerQueueBytes', 'onListenerOverflow',
])

export function validateSharedOptions<K extends SharedKey, V>(options: unknown): ValidSharedOptions<K, V> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with at least name and maxCapacity, got ${describe(options)}`)
  }
  const { name, weigher, serializer, listenerQueueBytes = LISTENER_QUEUE_BYTES, onListenerOverflow, ...common } = options as Record<string, unknown>
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`name must be a non-empty string (the cache's name in this process), got ${describe(name)}`)
  }
  if (weigher !== undefined && weigher !== 'bytes') {
    throw new TypeError(`weigher must be 'bytes' (a shared cache weighs the bytes it stores), got ${describe(weigher)}`)
  }
  if (typeof listenerQueueBytes !== 'number' || !Number.isSafeInteger(listenerQueueBytes) || listenerQueueBytes < 1) {
    throw new RangeError(`listenerQueueBytes must be a positive integer (bytes), got ${describe(listenerQueueBytes)}`)
  }
  if (onListenerOverflow !== undefined && typeof onListenerOverflow !== 'function') {
    throw new TypeError(`onListenerOverflow must be a function, got ${describe(onListenerOverflow)}`)
  }
  const v = validateOptions<K, V>(common, KNOWN, 'SharedMoka')
  return {
    name,
    maxCapacity: v.maxCapacity,
    ttl: v.ttl,
    tti: v.tti,
    lru: v.lru,
    weighBytes: weigher === 'bytes',
    serializer: serializer as SerializerOption<V> | undefined,
    evictionListener: v.evictionListener,
    perEntryExpiry: v.perEntryExpiry,
    listenerQueueBytes,
    onListenerOverflow: onListenerOverflow as ((dropped: number) => void) | undefined,
  }
}
