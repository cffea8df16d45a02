// Public types for ESM importers (`import { Moka } from 'moka-js'`): the same
// declarations as index.d.ts, seen as an ES module.
export * from './lib/index.js'
import * as api from './lib/index.js'
export default api
