// `moka-js/tiered`: TieredCache, an L1 `Moka` in front of Redis/Valkey.
// './peers' first: it names a missing ioredis or cockatiel before either is loaded.
import './peers'

export { TieredCache } from './tiered'
export type { TieredFetchOptions, TieredLoader, TieredStats } from './tiered'
export type { TieredCacheOptions, TieredSetOptions } from './options'
export type { Serializer } from '../codec/serializer'
export { TierError, PayloadError } from './errors'
export type { TierOperation, TierErrorKind, PayloadRejection } from './errors'
