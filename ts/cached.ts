// The public `cached`: the memoizer of memoize/, with the `SharedMoka` backend
// of shared/ plugged in (neither room imports the other).

import type { AnyFunction } from './core/memo'
import type { CacheTier } from './core/tier'
import { cachedWith, type CachedDecorator, type CachedFunction, type CachedOptions, type TierCachedFunction, type TierCachedOptions } from './memoize'
import { sharedPlan, type SharedCachedFunction, type SharedCachedOptions } from './shared/cached'

const memoizeAny = cachedWith(sharedPlan)

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
  return memoizeAny(fnOrOptions, options)
}
