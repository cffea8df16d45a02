export { Moka } from './moka'
export type { CacheStats } from './moka'
export type { MokaOptions, SetOptions, RemovalCause, EvictionListener } from './options'
export type { Duration } from './duration'
