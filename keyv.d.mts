// Types of `moka-js/keyv` for ESM importers: the same declarations as keyv.d.ts, seen as an ES module.
export * from './lib/keyv/index.js'
import * as api from './lib/keyv/index.js'
export default api
