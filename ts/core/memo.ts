// The seam between the memoizer (memoize/) and the caches it memoizes through:
// what a memoized function asks of the cache behind it. This thread's `Moka`
// (memoize/local.ts), a `SharedMoka` (shared/cached.ts) and a second tier
// (memoize/tier.ts) each serve it, so that the memoizer imports none of them.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunction = (this: any, ...args: any[]) => any

/** What a memoized function asks of the cache behind it. */
export interface MemoBackend {
  /** The result of `fn.apply(thisArg, args)` for `key`: the cached one, or one loaded and stored by the backend's rules. */
  call(key: unknown, thisArg: unknown, args: unknown[]): unknown
  /** Drops the result for `key`. */
  invalidate(key: unknown): boolean | Promise<boolean>
  /** Whether a refused call rejects (the function's results are promises) rather than throws. */
  readonly async: boolean
  /** The error for `called` once the backend can serve nothing (its cache disposed); else undefined. */
  refusal?(called: string): Error | undefined
}

/** What every memoized function is configured with, whatever its backend. */
export interface MemoConfig {
  /** The cache key of a call's arguments. */
  keyOf(args: unknown[]): unknown
  enabled: boolean | (() => boolean)
  /** Calls never throw: every failure, keying included, is a rejection (a tier's functions are async). */
  alwaysAsync?: boolean
}

/** A backend with its configuration and the members it adds to the memoized function. */
export interface MemoPlan {
  config: MemoConfig
  backend: MemoBackend
  /** Read-only properties of the memoized function (such as `cache`). */
  properties: PropertyDescriptorMap
  /** Methods of the memoized function (such as `cacheInfo`). */
  methods: object
  /** Methods refused, as `invalidate` is, once the backend can serve nothing (such as `cacheClear`). */
  guardedMethods?: Record<string, (...args: never[]) => unknown>
}
