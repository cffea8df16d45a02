'use strict'
// The work of every worker in scripts/load-order.js (and the task of its
// piscina pool): the three caches of the package, used for real.

const path = require('node:path')

const { Moka, SharedMoka, cached } = require(path.resolve(__dirname, '..'))

const CACHE_NAME = 'load-order'

/** Uses each cache; with `hold`, keeps its SharedMoka handle open for the thread's life. */
function work({ index, hold = false }) {
  const local = new Moka({ maxCapacity: 100, evictionListener: () => {} })
  for (let i = 0; i < 300; i++) local.set('k' + i, { index, i })
  local.runPendingTasks()
  const square = cached((n) => n * n, { maxCapacity: 10 })
  const shared = new SharedMoka({ name: CACHE_NAME, maxCapacity: 10000 })
  shared.set('w' + index, 'written by ' + index)
  const seen = [...shared.keys()].sort()
  if (hold) globalThis.heldCache = shared
  else shared.close()
  return { size: local.size, square: square(index) + square(index), seen }
}

module.exports = work
module.exports.CACHE_NAME = CACHE_NAME
