// Memoizing: `cached`, `@cached`, `cacheOf`, over one backend interface
// (core/memo.ts) served by this thread's `Moka`, a `SharedMoka` or a second tier.

export { cachedWith } from './cached'
export { cacheOf } from './decorator'
export type { CachedDecorator, CachedOf } from './decorator'
export { DEFAULT_MAX_CAPACITY, DEFAULT_BACKOFF } from './local-options'
export type { CachedOptions, CachedFunction, CacheInfo, RetryOptions } from './local-options'
export type { TierCachedOptions, TierCachedFunction } from './tier'
