// Types of `moka-js/tiered`: declared next to their implementation in `ts/tiered/` and emitted to `lib/tiered/`.
export * from './lib/tiered/index'
