// `cached(fn, options)` and `@cached(options)` without their types (ts/cached.ts
// gives them): picks the memoizer's backend from the options (this thread's
// own `Moka`, a second tier, or a `SharedMoka` by name, whose plan the caller
// plugs in) and hands methods to the decorator.

import type { AnyFunction, MemoPlan } from '../core/memo'
import { decorator } from './decorator'
import { cachedLocally } from './local'
import { configureLocal } from './local-options'
import { memoize } from './memoizer'
import { cachedThroughTier } from './tier'

/** Whether `cached` options ask for a shared cache. */
function isShared(options: unknown): options is Record<string, unknown> {
  return typeof options === 'object' && options !== null && (options as { shared?: unknown }).shared !== undefined
}

/** `cached`, memoizing through the plan `sharedPlan` makes when the options name a shared cache. */
export function cachedWith(sharedPlan: (fn: AnyFunction, options: Record<string, unknown>) => MemoPlan) {
  return function cached(fnOrOptions?: unknown, options?: unknown): unknown {
    if (typeof fnOrOptions === 'function') {
      if (isShared(options)) return memoize(fnOrOptions as AnyFunction, sharedPlan(fnOrOptions as AnyFunction, options))
      if (typeof options === 'object' && options !== null && 'tier' in options) return cachedThroughTier(fnOrOptions as AnyFunction, options)
      return cachedLocally(fnOrOptions as AnyFunction, configureLocal(options))
    }
    if (typeof options === 'function') {
      throw new TypeError('cached(fn, options) takes the function first; this call passed the options first, cached(options, fn)')
    }
    if (isShared(fnOrOptions)) {
      throw new TypeError('@cached({ shared }) is not supported: methods cache per instance, a shared cache per process; wrap a function with cached(fn, { shared })')
    }
    return decorator(configureLocal(fnOrOptions))
  }
}
