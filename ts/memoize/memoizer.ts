// One rule for every memoized function, whatever holds its results (a `Moka`,
// a `SharedMoka` or a second tier): a call goes straight to the function while
// memoizing is disabled, is refused once the cache is gone, is keyed, and is
// answered by the backend. Each backend adds only what its cache does.

import { describe } from '../core/duration'
import { dressWrapper } from './args'

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

/** The `enabled` option: a boolean or a function returning one (default true). */
export function enabledOption(value: unknown): boolean | (() => boolean) {
  if (value === undefined) return true
  if (typeof value !== 'boolean' && typeof value !== 'function') throw new TypeError(`enabled must be a boolean or a function, got ${describe(value)}`)
  return value as boolean | (() => boolean)
}

/**
 * `fn` memoized through `backend`, with `invalidate(...args)` and `uncached`,
 * and the backend's own members on the wrapper: `properties` (read-only) and
 * `methods`.
 */
export function memoize<F extends AnyFunction>(
  fn: F,
  config: MemoConfig,
  backend: MemoBackend,
  properties: PropertyDescriptorMap,
  methods: object,
): F {
  const { keyOf, enabled, alwaysAsync = false } = config
  const called = fn.name === '' ? 'the cached function' : `${fn.name}()`
  const refuse = (call: string, async: boolean): unknown => {
    const error = backend.refusal?.(call)
    if (error === undefined) return undefined
    if (async) return Promise.reject(error)
    throw error
  }
  const direct = function (this: unknown, ...args: unknown[]): unknown {
    if (enabled !== true && (enabled === false || !enabled())) return fn.apply(this, args)
    const refused = refuse(called, backend.async)
    if (refused !== undefined) return refused
    return backend.call(keyOf(args), this, args)
  }
  const wrapper = alwaysAsync
    ? function (this: unknown, ...args: unknown[]): Promise<unknown> {
        try {
          return Promise.resolve(direct.apply(this, args))
        } catch (error) {
          return Promise.reject(error)
        }
      }
    : direct
  dressWrapper(wrapper, fn, properties)
  return Object.assign(wrapper, methods, {
    invalidate(...args: unknown[]): boolean | Promise<boolean> {
      refuse(fn.name === '' ? 'invalidate()' : `${fn.name}.invalidate()`, false)
      return backend.invalidate(keyOf(args))
    },
  }) as unknown as F
}
