// Types of `moka-js/tiered` for ESM importers: the same declarations as tiered.d.ts, seen as an ES module.
export * from './lib/tiered/index.js'
import * as api from './lib/tiered/index.js'
export default api
