// Memory of dropped caches: freed at once with dispose(), soon enough without.
// Each figure runs in a fresh process, so that RSS starts from one level.
import test from 'ava'

import { runNodeScript } from './_helpers'

/** RSS growth (MB) after 200 caches of 5000 entries were created and dropped. */
function rssGrowth(t: Parameters<typeof runNodeScript>[0], withDispose: boolean): number {
  const script = `
    require('v8').setFlagsFromString('--expose-gc')
    const gc = require('vm').runInNewContext('gc')
    const mb = () => process.memoryUsage().rss / 2 ** 20
    const fill = () => { const c = new Moka({ maxCapacity: 10_000 }); for (let i = 0; i < 5000; i++) c.set('key:' + i, i); return c }
    ;(async () => {
      fill().dispose(); gc()
      const start = mb()
      let peak = start
      for (let i = 0; i < 200; i++) {
        const c = fill()
        ${withDispose ? 'c.dispose()' : ''}
        ${withDispose ? '' : 'if (i % 20 === 19) { gc(); await new Promise((r) => setImmediate(r)) }'}
        peak = Math.max(peak, mb())
      }
      console.log(JSON.stringify({ start, peak, growth: peak - start }))
    })()`
  const r = runNodeScript(t, script, withDispose ? 'dispose' : 'no dispose', 60_000)
  const { growth } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { growth: number }
  t.log(`${withDispose ? 'with' : 'without'} dispose(): RSS +${growth.toFixed(1)} MB at most over 200 caches of 5000 entries`)
  return growth
}

test('200 caches of 5000 entries, each disposed: RSS stays within 50 MB of the start', (t) => {
  t.true(rssGrowth(t, true) < 50)
})

test('200 caches of 5000 entries, dropped, yielding every 20: RSS stays within 150 MB', (t) => {
  t.true(rssGrowth(t, false) < 150)
})
