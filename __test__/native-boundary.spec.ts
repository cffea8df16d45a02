// The raw native functions misused directly (not through `Moka`): each misuse
// is answered with a JS error, never undefined behaviour. The same scenarios
// run under valgrind in `npm run test:valgrind`.
import test from 'ava'

import { binding, protocol } from '../ts/core/native'

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { scenarios } = require('../scripts/native-misuse.js') as { scenarios: Record<string, () => Promise<void>> }

for (const [name, run] of Object.entries(scenarios)) {
  test.serial(`raw API misuse: ${name}`, async (t) => {
    await t.notThrowsAsync(run())
  })
}

test('the protocol lists exactly the cache methods', (t) => {
  const functions = Object.keys(binding.cacheMethods).filter((k) => typeof (binding.cacheMethods as unknown as Record<string, unknown>)[k] === 'function')
  t.deepEqual(functions.sort(), [...protocol.METHODS].sort())
  const { state } = binding.createCache(10, undefined, undefined, false, false, false, false, false)
  t.true(state instanceof Uint32Array)
  t.is(state.length, protocol.STATE_LENGTH)
  t.false(state.buffer instanceof SharedArrayBuffer)
})

test('every cache shares one function per method and one shape', (t) => {
  const created = Array.from({ length: 3 }, (_, i) => binding.createCache(10, undefined, undefined, i === 1, false, i === 2, i === 2, false))
  const methods = binding.cacheMethods
  created.forEach(({ cache }, i) => {
    methods.set(cache, 'k', i)
    t.is(methods.get(cache, 'k'), i, 'each cache keeps its own entries')
  })
  t.deepEqual(
    created.map((c) => Object.keys(c)),
    created.map(() => ['cache', 'state']),
  )
})

test('the protocol names every stats figure and cause the JS layer reads', (t) => {
  t.deepEqual(protocol.STATS, ['hits', 'misses', 'expired', 'explicit', 'replaced', 'size', 'released'])
  t.deepEqual(protocol.CAUSES, ['released', 'expired', 'explicit', 'replaced', 'size'])
  t.is(protocol.CAUSES[protocol.EXPIRED], 'expired')
  t.is(protocol.CAUSES[protocol.SIZE], 'size')
  t.is(protocol.MAX_SLOT, 2 ** (32 - protocol.KIND_BITS) - 1)
})
