'use strict'
// `moka-js/tiered` (CommonJS): TieredCache over Redis/Valkey. Needs ioredis and
// cockatiel, optional peer dependencies; compiled from `ts/tiered/`.
module.exports = require('./lib/tiered/index.js')
