// Public types: declared next to their implementation in `ts/` and emitted to `lib/`.
export * from './lib/index'
