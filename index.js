'use strict'
// Public entry (CommonJS). The generated platform loader is `binding.js`;
// the API lives in `lib/` (compiled from `ts/`).
module.exports = require('./lib/index.js')
