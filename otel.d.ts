// Types of `moka-js/otel`: declared next to their implementation in `ts/otel/` and emitted to `lib/otel/`.
export * from './lib/otel/index'
