'use strict'
// Entry of `moka-js/keyv` (CommonJS): a Keyv store; the code lives in `lib/keyv/`.
module.exports = require('./lib/keyv/index.js')
