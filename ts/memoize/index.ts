// Memoizing: `cached`, `@cached`, `cacheOf`, over one backend interface
// (memoizer.ts) served by this thread's `Moka`, a `SharedMoka` or a second tier.

export { cached } from './cached'
export { cacheOf } from './decorator'
export type { CachedDecorator, CachedOf } from './decorator'
export { DEFAULT_MAX_CAPACITY, DEFAULT_BACKOFF } from './local-options'
export type { CachedOptions, CachedFunction, CacheInfo, RetryOptions } from './local-options'
export type { SharedCachedOptions, SharedCachedFunction, SharedCacheInfo } from './shared'
export type { TierCachedOptions, TierCachedFunction } from './tier'
