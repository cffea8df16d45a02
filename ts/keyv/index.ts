// Entry point of `moka-js/keyv`: a Keyv store over Moka or SharedMoka.
export { KeyvMoka, DEFAULT_KEYV_CAPACITY } from './store'
export type { KeyvMokaOptions, KeyvMokaCache } from './store'
