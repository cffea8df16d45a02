// Types of `moka-js/keyv`: declared next to their implementation in `ts/keyv/` and emitted to `lib/keyv/`.
export * from './lib/keyv/index'
