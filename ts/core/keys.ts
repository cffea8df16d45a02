// Keys that Rust cannot hash by itself: objects and symbols (identity), value
// objects (`equals` + `hashCode`, the Immutable.js protocol) and every key of a
// cache with `hash`/`equals` options. Each is turned into a numeric token
// before the native call; no JS ever runs inside moka.

import { describe } from './duration'

/** A token that was never handed out: looking it up is a miss. */
export const MISS = -1

let nextToken = 1

// Identity tokens. A token lives as long as its object: the cache holds its key
// objects strongly, so a collected object cannot have a live entry.
const objectTokens = new WeakMap<object, number>()
// Registered symbols (`Symbol.for`) cannot be weak keys; they live forever anyway.
const registeredSymbolTokens = new Map<symbol, number>()

/** True for keys that need a token: objects, functions and symbols. */
export function isReference(key: unknown): boolean {
  // Strings and numbers, the common keys, first: in optimized code one type
  // check each, where the three below take about 30 instructions to say no.
  // Each `typeof` is compared in place: one kept in a variable calls V8's
  // Typeof builtin.
  if (typeof key === 'string' || typeof key === 'number') return false
  return typeof key === 'object' ? key !== null : typeof key === 'function' || typeof key === 'symbol'
}

function isValueObject(key: unknown): key is { equals(o: unknown): boolean; hashCode(): unknown } {
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof (key as { equals?: unknown }).equals === 'function' &&
    typeof (key as { hashCode?: unknown }).hashCode === 'function'
  )
}

export function identityToken(key: object | symbol, create: boolean): number {
  const registered = typeof key === 'symbol' && Symbol.keyFor(key) !== undefined
  const table = (registered ? registeredSymbolTokens : objectTokens) as Map<object | symbol, number>
  let token = table.get(key)
  if (token === undefined && create) {
    token = nextToken++
    table.set(key, token)
  }
  return token ?? MISS
}

/**
 * An interned key: equal keys share it; `refs` counts the slots holding it.
 * It remembers the interner that holds it: the key object may change shape
 * later (lose its `equals`), and must still be released where it was interned.
 */
export interface Interned {
  readonly key: unknown
  readonly hash: unknown
  readonly token: number
  readonly owner: Interner
  refs: number
}

/**
 * Structural keys of one cache: buckets of interned keys by hash. A key is
 * interned when an entry is stored under it and dropped when its last slot is
 * released, so the table never outgrows the cache.
 */
export class Interner {
  readonly #buckets = new Map<unknown, Interned[]>()
  readonly #hash: (key: unknown) => unknown
  readonly #equals: (a: unknown, b: unknown) => boolean

  constructor(hash?: (key: unknown) => unknown, equals?: (a: unknown, b: unknown) => boolean) {
    this.#hash = hash ?? valueObjectHash
    this.#equals = equals ?? ((a, b) => (a as { equals(o: unknown): boolean }).equals(b))
  }

  /** The interned record equal to `key`, created (with no refs) if `create`. */
  find(key: unknown, create: boolean): Interned | undefined {
    const hash = this.#hash(key)
    if (typeof hash === 'object' ? hash !== null : typeof hash === 'function' || typeof hash === 'symbol') {
      throw new TypeError(`hash must return a primitive, got ${describe(hash)}`)
    }
    const bucket = this.#buckets.get(hash)
    if (bucket !== undefined) {
      for (const rec of bucket) {
        if (rec.key === key || this.#equals(key, rec.key) === true) return rec
      }
    }
    if (!create) return undefined
    const rec: Interned = { key, hash, token: nextToken++, owner: this, refs: 0 }
    if (bucket === undefined) this.#buckets.set(hash, [rec])
    else bucket.push(rec)
    return rec
  }

  /** Drops `rec` once no slot holds it. */
  release(rec: Interned): void {
    if (rec.refs > 0) return
    const bucket = this.#buckets.get(rec.hash)
    if (bucket === undefined) return
    const i = bucket.indexOf(rec)
    if (i >= 0) bucket.splice(i, 1)
    if (bucket.length === 0) this.#buckets.delete(rec.hash)
  }

  /** Forgets every interned key. */
  clear(): void {
    this.#buckets.clear()
  }

  get size(): number {
    let n = 0
    for (const bucket of this.#buckets.values()) n += bucket.length
    return n
  }
}

function valueObjectHash(key: unknown): unknown {
  const h = (key as { hashCode(): unknown }).hashCode()
  if (typeof h !== 'number' && typeof h !== 'string') {
    throw new TypeError(`key.hashCode() must return a number or a string, got ${describe(h)}`)
  }
  return h
}

/**
 * How one cache turns keys into tokens. `lookup` never creates anything;
 * `intern` returns the record to retain once the entry is stored.
 */
export class Keying {
  /** Set when the cache has `hash`/`equals`: every key is interned. */
  readonly #custom: Interner | undefined
  #valueObjects: Interner | undefined

  constructor(hash?: (key: unknown) => unknown, equals?: (a: unknown, b: unknown) => boolean) {
    this.#custom = hash === undefined ? undefined : new Interner(hash, equals)
  }

  /** True when `key` must go to native code with a token. */
  needsToken(key: unknown): boolean {
    return this.#custom !== undefined || isReference(key)
  }

  #interner(key: unknown): Interner | undefined {
    if (this.#custom !== undefined) return this.#custom
    if (isValueObject(key)) return (this.#valueObjects ??= new Interner())
    return undefined
  }

  /** Token for a lookup; `MISS` when no entry can exist under `key`. */
  lookup(key: unknown): number {
    const interner = this.#interner(key)
    if (interner !== undefined) return interner.find(key, false)?.token ?? MISS
    return identityToken(key as object, false)
  }

  /** Token for a store, with the interned record to retain (if any). */
  intern(key: unknown): { token: number; rec: Interned | undefined } {
    const interner = this.#interner(key)
    if (interner !== undefined) {
      const rec = interner.find(key, true)!
      return { token: rec.token, rec }
    }
    return { token: identityToken(key as object, true), rec: undefined }
  }

  /** A slot stopped holding `rec`. */
  unref(rec: Interned): void {
    rec.refs--
    rec.owner.release(rec)
  }

  /** Forgets `rec` if nothing ended up holding it (a failed store). */
  discard(rec: Interned): void {
    rec.owner.release(rec)
  }

  /** Forgets every interned key (the cache was disposed). */
  clear(): void {
    this.#custom?.clear()
    this.#valueObjects = undefined
  }

  /** Interned keys held (for leak tests). */
  get internedCount(): number {
    return (this.#custom?.size ?? 0) + (this.#valueObjects?.size ?? 0)
  }
}

/** The canonical name of an argument list: prefix-free, so different lists never share one. */
export function argsId(args: readonly unknown[]): string {
  let id = ''
  for (const arg of args) id += encode(arg)
  return id
}

function encode(arg: unknown): string {
  switch (typeof arg) {
    case 'string':
      return `s${arg.length}:${arg}`
    case 'number':
      // String(-0) is '0' and String(NaN) is 'NaN': SameValueZero, like the cache.
      return `n${arg};`
    case 'bigint':
      return `b${arg};`
    case 'boolean':
      return arg ? 'T' : 'F'
    case 'undefined':
      return 'u'
    default:
      if (arg === null) return 'l'
      return `o${identityToken(arg as object | symbol, true)};`
  }
}
