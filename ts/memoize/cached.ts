// `cached(fn, options)` and `@cached(options)`: picks the memoizer's backend
// from the options (this thread's own `Moka`, a `SharedMoka` by name, or a
// second tier) and hands methods to the decorator.

import type { CacheTier } from '../core/tier'
import { type CachedDecorator, decorator } from './decorator'
import { cachedLocally } from './local'
import { type CachedFunction, type CachedOptions, configureLocal } from './local-options'
import type { AnyFunction } from './memoizer'
import { cachedShared, isShared, type SharedCachedFunction, type SharedCachedOptions } from './shared'
import { cachedThroughTier, type TierCachedFunction, type TierCachedOptions } from './tier'

/**
 * Memoizes `fn`, sync or async, in its own `Moka`. See {@link CachedOptions};
 * the wrapper keeps `fn`'s parameter and return types and exposes `.cache`,
 * `.cacheInfo()`, `.cacheClear()`, `.invalidate(...args)` and `.uncached`.
 *
 * With `{ shared: 'name' }`, the results live in that `SharedMoka`, shared by
 * every thread of the process (see `SharedCachedOptions`).
 *
 * Called with options only, returns a method decorator (`@cached({ ttl: '1m' })`)
 * that works with TS 5 standard decorators and with legacy
 * `experimentalDecorators`; each instance gets its own cache. That decorator
 * called with a function alone memoizes it: `cached(options)(fn)` is
 * `cached(fn, options)`.
 */
export function cached<F extends AnyFunction>(fn: F, options: SharedCachedOptions<Parameters<F>, ReturnType<F>>): SharedCachedFunction<F>
export function cached<F extends AnyFunction, T extends CacheTier<Awaited<ReturnType<F>>>>(
  fn: F,
  options: TierCachedOptions<Parameters<F>, ReturnType<F>, T>,
): TierCachedFunction<F, T>
export function cached<F extends AnyFunction, K = unknown>(
  fn: F,
  options?: CachedOptions<Parameters<F>, ReturnType<F>, K>,
): CachedFunction<F, K>
export function cached<K = unknown>(options?: CachedOptions<any[], any, K>): CachedDecorator<K>
export function cached(fnOrOptions?: unknown, options?: unknown): unknown {
  if (typeof fnOrOptions === 'function') {
    if (isShared(options)) return cachedShared(fnOrOptions as AnyFunction, options)
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
