// One rule for every memoized function, whatever holds its results (a `Moka`,
// a `SharedMoka` or a second tier): a call goes straight to the function while
// memoizing is disabled, is refused once the cache is gone, is keyed, and is
// answered by the backend. Each backend adds only what its cache does.

import { describe } from '../core/duration'
import type { AnyFunction, MemoPlan } from '../core/memo'

/** The `enabled` option: a boolean or a function returning one (default true). */
export function enabledOption(value: unknown): boolean | (() => boolean) {
  if (value === undefined) return true
  if (typeof value !== 'boolean' && typeof value !== 'function') throw new TypeError(`enabled must be a boolean or a function, got ${describe(value)}`)
  return value as boolean | (() => boolean)
}

/**
 * `fn` memoized through the plan's backend, with `invalidate(...args)` and
 * `uncached`, and the backend's own members on the wrapper: `properties`
 * (read-only) and `methods`.
 */
export function memoize<F extends AnyFunction>(fn: F, plan: MemoPlan): F {
  const { config, backend, properties, methods, guardedMethods = {} } = plan
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
  /** `method`, thrown out (naming it) once the backend can serve nothing. */
  const guarded = <M extends (...args: never[]) => unknown>(name: string, method: M) =>
    function (this: unknown, ...args: Parameters<M>): ReturnType<M> {
      refuse(fn.name === '' ? `${name}()` : `${fn.name}.${name}()`, false)
      return method.apply(this, args) as ReturnType<M>
    }
  const refusing = Object.fromEntries(Object.entries(guardedMethods).map(([name, method]) => [name, guarded(name, method)]))
  dressWrapper(wrapper, fn, properties)
  return Object.assign(wrapper, methods, refusing, {
    invalidate: guarded('invalidate', (...args: unknown[]) => backend.invalidate(keyOf(args))),
  }) as unknown as F
}

/**
 * Gives a memoizing `wrapper` the `name` and `length` of the function it
 * wraps, that function as `uncached`, and the properties in `more`.
 */
function dressWrapper<W extends (...args: never[]) => unknown>(wrapper: W, fn: (...args: never[]) => unknown, more: PropertyDescriptorMap): W {
  return Object.defineProperties(wrapper, {
    name: { value: fn.name, configurable: true },
    length: { value: fn.length, configurable: true },
    ...more,
    uncached: { value: fn, enumerable: true },
  })
}

