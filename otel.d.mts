// Types of `moka-js/otel` for ESM importers: the same declarations as otel.d.ts, seen as an ES module.
export * from './lib/otel/index.js'
import * as api from './lib/otel/index.js'
export default api
