'use strict'
// The package loaded twice in one thread, as a test runner that resets its
// module registry loads it: the addon is initialized again there, with a
// table of caches of its own. A cache of each copy must find only its own
// entries, through Node-API and through the accelerator alike (their ids
// are numbered alike in each table). Used by scripts/load-order.js, on the
// main thread and in a worker.

const assert = require('node:assert')
const path = require('node:path')

const root = path.resolve(__dirname, '..')
const ROUNDS = 2000 // enough for V8 to optimize the loop, so that its fast path is taken

/** The package loaded anew: every module of it, the addons included, out of `require`'s cache first. */
function loadAnew() {
  const own = (file) => file.startsWith(root + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`)
  for (const file of Object.keys(require.cache)) if (own(file)) delete require.cache[file]
  return { ...require(root), fast: require(path.join(root, 'lib', 'core', 'fast.js')) }
}

module.exports = function loadedTwice() {
  const first = loadAnew()
  const a = new first.Moka({ maxCapacity: 1000 })
  const second = loadAnew()
  assert.notStrictEqual(second.Moka, first.Moka, 'the package was loaded anew')
  const b = new second.Moka({ maxCapacity: 1000 })
  for (let i = 0; i < 50; i++) a.set(`k${i}`, `a${i}`).set(i, -i)
  for (let i = 0; i < 60; i++) b.set(`k${i}`, `b${i}`).set(i, 1000 + i)
  const before = second.fast.acceleratorInfo().calls
  let bCalls = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < 60; i += 7) {
      assert.strictEqual(a.get(`k${i}`), i < 50 ? `a${i}` : undefined)
      assert.strictEqual(a.has(`k${i}`), i < 50)
      assert.strictEqual(a.get(i), i < 50 ? -i : undefined)
      assert.strictEqual(b.get(`k${i}`), `b${i}`)
      assert.strictEqual(b.has(i), true)
      bCalls += 2
    }
  }
  const taken = second.fast.acceleratorInfo().calls - before
  assert.ok(a.delete('k1') && !a.has('k1'), 'a delete reaches its own cache')
  assert.strictEqual(b.get('k1'), 'b1', "and not the other copy's")
  b.set('only-b', 1).delete('k2')
  assert.ok(!a.has('only-b') && a.get('k2') === 'a2', "another copy's writes do not reach it")
  assert.deepStrictEqual([a.size, b.size], [99, 120])
  const accelerated = second.fast.acceleratorInfo().loaded
  // The second copy's calls are the accelerator's; the first copy's go through
  // Node-API, as its ids name no cache of the newer table.
  if (accelerated) assert.strictEqual(taken, bCalls, "the accelerator takes the newer copy's calls, and only those")
  return { accelerated, taken }
}
