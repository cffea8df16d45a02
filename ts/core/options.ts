import { describe, Duration, toMillis } from './duration'

/** Why an entry left the cache (moka's removal causes). */
export type RemovalCause = 'expired' | 'explicit' | 'replaced' | 'size'

/**
 * Called after an entry left the cache, once the native call that removed it
 * has returned (never while moka holds a lock). It may call any method of the
 * same cache. If it throws, the other notifications of the batch are still
 * delivered, and the error is rethrown by the cache method whose call
 * delivered the batch, after that method has done its work.
 */
export type EvictionListener<K, V> = (key: K, value: V, cause: RemovalCause) => void

export interface MokaOptions<K, V> {
  /**
   * Upper bound of the cache: a number of entries, or of total weight when a
   * `weigher` is given. Required; an integer ≥ 0. moka may exceed it briefly
   * between maintenance runs; `runPendingTasks()` settles it.
   */
  maxCapacity: number
  /** Time to live: an entry expires this long after it was written. Milliseconds or `'30s'`-style string. */
  ttl?: Duration
  /** Time to idle: an entry expires this long after it was last read or written. Milliseconds or string. */
  tti?: Duration
  /**
   * Eviction policy. `'tinyLfu'` (default) admits a new entry only if it is
   * more popular than the one it would evict: the best hit ratio on most
   * workloads. `'lru'` evicts the least recently used: best on recency-biased
   * workloads. `'adaptive'` starts on TinyLFU, watches a sample of its reads
   * in two small shadow caches (one per policy) and switches to the other
   * policy when that one would hit more, moving entries over without
   * notifying them; `stats().adaptive` tells the policy in force (see
   * docs/adaptive.md). A moved entry keeps its deadlines: `ttl` from its
   * write, `tti` from its last read.
   */
  policy?: 'tinyLfu' | 'lru' | 'adaptive'
  /**
   * Weight of an entry, counted against `maxCapacity`. Runs in JS before the
   * native insert; must return an integer in [0, 2^32). Otherwise `set`
   * inserts nothing and throws: a `TypeError` for a result that is not a
   * number, a `RangeError` for a number outside that range.
   */
  weigher?: (key: K, value: V) => number
  /**
   * See {@link EvictionListener}. Installing one makes moka report every
   * removal with its cause, which costs it a per-key lock on every write
   * (about 2× on evicting writes, see docs/api.md); without one, slots are
   * released when moka drops the entry and `stats().evictions` is undefined.
   */
  evictionListener?: EvictionListener<K, V>
  /**
   * Allow per-entry `ttl`/`tti` (`set(k, v, { ttl })`, `getWith`, `fetch`).
   * Default `false`: moka is built without per-entry expiry, which saves
   * 5–15 % on reads and writes, and per-entry options throw a `TypeError`.
   */
  perEntryExpiry?: boolean
  /**
   * Structural keys for the whole cache: keys with equal `hash(key)` (a
   * primitive) are compared with `equals(a, b)`. Give both or neither. Both
   * run in JS before the native call, never inside moka.
   */
  hash?: (key: K) => unknown
  /** See `hash`. */
  equals?: (a: K, b: K) => boolean
}

/**
 * Per-entry options of `set`. An entry expires at the earliest deadline that
 * applies to it, so these can shorten the cache's `ttl`/`tti`, never extend
 * them. Entries with their own deadlines are removed by maintenance with
 * about one second of granularity (moka's timer wheel); they are never
 * returned once expired.
 */
export interface SetOptions {
  /** Time to live of this entry, counted from this write. Milliseconds or string. */
  ttl?: Duration
  /** Time to idle of this entry, counted from its last read or write. Milliseconds or string. */
  tti?: Duration
}

export interface ValidOptions<K, V> {
  maxCapacity: number
  ttl: number | undefined
  tti: number | undefined
  lru: boolean
  /** `policy: 'adaptive'` (then `lru` is false: it starts on TinyLFU). */
  adaptive: boolean
  perEntryExpiry: boolean
  weigher: ((key: K, value: V) => number) | undefined
  evictionListener: EvictionListener<K, V> | undefined
  hash: ((key: K) => unknown) | undefined
  equals: ((a: K, b: K) => boolean) | undefined
}

/** Option names of `new Moka(...)`; wrappers that accept more pass a superset to `validateOptions`. */
export const KNOWN = new Set([
  'maxCapacity',
  'ttl',
  'tti',
  'policy',
  'weigher',
  'evictionListener',
  'perEntryExpiry',
  'hash',
  'equals',
])

/**
 * Checks every option once, at construction, and names the one at fault.
 * `fixedPolicy` names the cache kind when it refuses `policy: 'adaptive'`.
 */
export function validateOptions<K, V>(options: unknown, known: ReadonlySet<string> = KNOWN, fixedPolicy?: string): ValidOptions<K, V> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with at least maxCapacity, got ${describe(options)}`)
  }
  const o = options as Record<string, unknown>
  for (const name of Object.keys(o)) {
    if (!known.has(name)) {
      throw new TypeError(`unknown option ${JSON.stringify(name)}${suggest(name, known)}`)
    }
  }
  const { maxCapacity } = o
  if (maxCapacity === undefined) throw new TypeError('maxCapacity is required (a number of entries, or of total weight)')
  if (typeof maxCapacity !== 'number') throw new TypeError(`maxCapacity must be a number, got ${describe(maxCapacity)}`)
  if (!Number.isSafeInteger(maxCapacity) || maxCapacity < 0) {
    throw new RangeError(`maxCapacity must be an integer ≥ 0, got ${maxCapacity}`)
  }
  const policy = o.policy === undefined ? 'tinyLfu' : o.policy
  if (policy === 'adaptive' && fixedPolicy !== undefined) {
    throw new TypeError(`policy 'adaptive' is not supported by ${fixedPolicy}: choose 'tinyLfu' or 'lru' (see docs/adaptive.md)`)
  }
  if (policy !== 'tinyLfu' && policy !== 'lru' && policy !== 'adaptive') {
    throw new RangeError(`policy must be 'tinyLfu', 'lru' or 'adaptive', got ${describe(policy)}`)
  }
  const { hash, equals, perEntryExpiry = false } = o
  if (typeof perEntryExpiry !== 'boolean') throw new TypeError(`perEntryExpiry must be a boolean, got ${describe(perEntryExpiry)}`)
  if ((hash === undefined) !== (equals === undefined)) {
    throw new TypeError('hash and equals must be given together')
  }
  const ttl = toMillis(o.ttl, 'ttl')
  const tti = toMillis(o.tti, 'tti')
  return {
    maxCapacity,
    ttl,
    tti,
    lru: policy === 'lru',
    adaptive: policy === 'adaptive',
    perEntryExpiry,
    weigher: optionalFunction(o.weigher, 'weigher') as ValidOptions<K, V>['weigher'],
    evictionListener: optionalFunction(o.evictionListener, 'evictionListener') as ValidOptions<K, V>['evictionListener'],
    hash: optionalFunction(hash, 'hash') as ValidOptions<K, V>['hash'],
    equals: optionalFunction(equals, 'equals') as ValidOptions<K, V>['equals'],
  }
}

export function optionalFunction(value: unknown, name: string): ((...args: never[]) => unknown) | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describe(value)}`)
  return value as (...args: never[]) => unknown
}

/**
 * `value` as an options object whose every name is in `allowed`; otherwise a
 * `TypeError` (`mustBe` says what was expected, `what` names the options).
 */
export function optionObject(value: unknown, what: string, allowed: readonly string[], mustBe: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${mustBe}, got ${describe(value)}`)
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) {
      const expected = allowed.length === 1 ? allowed[0] : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`
      throw new TypeError(`unknown ${what} option ${JSON.stringify(name)} (expected ${expected})`)
    }
  }
  return value as Record<string, unknown>
}

/** Per-entry `ttl`/`tti` of `set`, in milliseconds. */
export function validateSetOptions(options: unknown): { ttl: number | undefined; tti: number | undefined } {
  const o = optionObject(options, 'set', ['ttl', 'tti'], 'set options must be an object')
  return { ttl: toMillis(o.ttl, 'ttl'), tti: toMillis(o.tti, 'tti') }
}

/** What a write without options asks: shared, so that such a write allocates nothing for it. */
const NO_ENTRY_EXPIRY: { readonly ttl?: number; readonly tti?: number } = Object.freeze({})

/** Per-entry `ttl`/`tti` of `method` in ms, checked; a `TypeError` when the cache was built without `perEntryExpiry`. */
export function entryExpiry(options: unknown, perEntryExpiry: boolean, method: string): { readonly ttl?: number; readonly tti?: number } {
  if (options === undefined) return NO_ENTRY_EXPIRY
  const { ttl, tti } = validateSetOptions(options)
  checkPerEntry(ttl !== undefined || tti !== undefined, perEntryExpiry, method)
  return { ttl, tti }
}

/** A `TypeError` when per-entry expiry is asked of a cache built without it. */
export function checkPerEntry(asked: boolean, perEntryExpiry: boolean, method: string): void {
  if (asked && !perEntryExpiry) throw new TypeError(`${method}: per-entry ttl/tti need a cache created with perEntryExpiry: true`)
}

/** The weigher's result as a native weight: a `TypeError` when it is not a number, a `RangeError` when out of range. */
export function checkWeight(weight: unknown): number {
  if (typeof weight !== 'number') throw new TypeError(`weigher must return a number, got ${describe(weight)}`)
  if (!Number.isInteger(weight) || weight < 0 || weight > 0xffff_ffff) {
    throw new RangeError(`weigher must return an integer in [0, 2^32), got ${describe(weight)}`)
  }
  return weight
}

/** Whether `value` is an object with a function under each of `names`: how an interface is recognised at run time. */
export function hasMethods(value: unknown, ...names: string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  // One row of the classic table; the names compared here are a few characters long.
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]
}

function suggest(name: string, known: ReadonlySet<string>): string {
  let best: string | undefined
  let bestDistance = 3
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best === undefined ? ` (known: ${[...known].join(', ')})` : ` (did you mean ${JSON.stringify(best)}?)`
}
