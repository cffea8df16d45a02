'use strict'
// `moka-js/otel` (CommonJS): a cache's counters as OpenTelemetry metrics. Uses
// @opentelemetry/api, an optional peer dependency; compiled from `ts/otel/`.
module.exports = require('./lib/otel/index.js')
