'use strict'
// Loads the addon in one order of threads, in a fresh process:
//
//   node scripts/load-order.js <scenario>
//
// The main thread does not load the package until the scenario says so: what
// is checked is which thread loads the addon first, and what happens when
// that thread goes away. Scenarios:
//   worker-exits        workers load it one after another, each ends by itself
//   worker-terminated   workers load it one after another, each is terminated
//   workers-together    four workers start at once, twice over
//   main-after-workers  workers load it and end, then the main thread does
//   shared              one SharedMoka written by the first worker, read by
//                       later workers and by the main thread after they end
//   pool                a piscina pool of 4 workers, destroyed and made anew
//                       (POOL_ROUNDS times, default 60): every task uses Moka,
//                       cached and SharedMoka
//   loaded-twice        the package loaded twice in one thread, as a test
//                       runner's module registry does, on the main thread
//                       and then in a worker (scripts/loaded-twice-task.js)
// Prints one line per step and `ok <scenario>` at the end; any failure exits
// non-zero (a crash of the addon kills the process with a signal).
// `npm run test:valgrind:load-order` runs every scenario under memcheck.

const assert = require('node:assert')
const path = require('node:path')
const { once } = require('node:events')
const { Worker } = require('node:worker_threads')

const root = path.resolve(__dirname, '..')
const TASK = path.join(__dirname, 'load-order-task.js')
const LOADED_TWICE = path.join(__dirname, 'loaded-twice-task.js')
const CACHE_NAME = 'load-order' // as in load-order-task.js, which the main thread must not load first

/** A worker that works once, posts what it found, then ends as `end` says. */
function start(index, end, hold = false) {
  const source = `
const { parentPort } = require('node:worker_threads')
parentPort.postMessage(require(${JSON.stringify(TASK)})({ index: ${index}, hold: ${hold} }))
${end === 'exit' ? '' : 'setInterval(() => {}, 1000) // stays until terminated'}
`
  const worker = new Worker(source, { eval: true })
  const message = new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  const exited = new Promise((resolve) => worker.once('exit', resolve))
  return {
    message,
    async done() {
      const result = await message
      if (end === 'terminate') await worker.terminate()
      const code = await exited
      assert.strictEqual(code, end === 'terminate' ? 1 : 0, `worker ${index} exit code`)
      assert.strictEqual(result.size, 100, `worker ${index}: Moka holds its capacity`)
      assert.strictEqual(result.square, 2 * index * index, `worker ${index}: cached computes`)
      return result
    },
  }
}

async function oneAfterAnother(count, end) {
  for (let i = 0; i < count; i++) {
    const result = await start(i, end).done()
    console.log(`worker ${i} (${end}): ok`)
    assert.ok(result.seen.includes('w' + i), `worker ${i} reads what it wrote`)
  }
}

function mainThreadUses() {
  const { Moka, SharedMoka } = require(root)
  const cache = new Moka({ maxCapacity: 10 })
  cache.set('a', 1)
  assert.strictEqual(cache.get('a'), 1)
  const shared = new SharedMoka({ name: CACHE_NAME, maxCapacity: 10000 })
  return shared
}

const scenarios = {
  'worker-exits': () => oneAfterAnother(6, 'exit'),
  'worker-terminated': () => oneAfterAnother(6, 'terminate'),
  async 'workers-together'() {
    for (let round = 0; round < 2; round++) {
      const workers = [0, 1, 2, 3].map((i) => start(round * 4 + i, round === 0 ? 'terminate' : 'exit'))
      await Promise.all(workers.map((w) => w.done()))
      console.log(`round ${round}: 4 workers at once: ok`)
    }
  },
  async 'main-after-workers'() {
    await oneAfterAnother(3, 'exit')
    const shared = mainThreadUses()
    shared.set('main', 'written by main')
    assert.deepStrictEqual([...shared.keys()], ['main'])
    shared.close()
    console.log('main thread after workers: ok')
  },
  async shared() {
    // The worker that loads the addon holds the cache open, a second joins it,
    // then the first is terminated: the cache and the addon outlive it.
    const first = start(0, 'terminate', true)
    const firstSeen = (await first.message).seen
    const second = start(1, 'terminate', true)
    assert.deepStrictEqual((await second.message).seen, ['w0', 'w1'])
    await first.done()
    const later = await Promise.all([2, 3].map((i) => start(i, 'exit').done()))
    for (const r of later) assert.ok(['w0', 'w1'].every((k) => r.seen.includes(k)), 'later workers read earlier writes')
    const shared = mainThreadUses()
    assert.deepStrictEqual([...shared.keys()].sort(), ['w0', 'w1', 'w2', 'w3'])
    await second.done()
    shared.clear()
    assert.deepStrictEqual((await start(4, 'exit').done()).seen, ['w4'])
    assert.strictEqual(shared.get('w4'), 'written by 4')
    shared.close()
    console.log(`shared across workers and the main thread: ok (first worker saw ${firstSeen})`)
  },
  async pool() {
    const { Piscina } = require('piscina')
    const rounds = Number(process.env.POOL_ROUNDS || 60)
    let tasks = 0
    for (let round = 0; round < rounds; round++) {
      const pool = new Piscina({ filename: TASK, minThreads: 4, maxThreads: 4, idleTimeout: 10 })
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.run({ index: round * 8 + i })))
      for (const r of results) assert.strictEqual(r.size, 100)
      tasks += results.length
      await pool.destroy()
    }
    console.log(`pool: ${rounds} pools of 4 workers, ${tasks} tasks: ok`)
  },
  async 'loaded-twice'() {
    const main = require(LOADED_TWICE)()
    const source = `require('node:worker_threads').parentPort.postMessage(require(${JSON.stringify(LOADED_TWICE)})())`
    const worker = new Worker(source, { eval: true })
    // Listened for at once: the worker may be gone by the time its message is read.
    const exited = once(worker, 'exit')
    const [inWorker] = await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => Promise.reject(error))])
    await exited
    const said = (r) => (r.accelerated ? `accelerator took ${r.taken} calls` : 'Node-API only')
    console.log(`loaded twice in one thread, the main thread (${said(main)}) and a worker (${said(inWorker)}): ok`)
  },
}

const name = process.argv[2]
if (!scenarios[name]) {
  console.error(`usage: node scripts/load-order.js <${Object.keys(scenarios).join('|')}>`)
  process.exit(2)
}
assert.ok(!Object.keys(require.cache).some((f) => f.endsWith('.node')), 'no addon loaded before the scenario')
let finished = false
// A scenario awaiting an event that already happened leaves nothing for the
// loop to do, and Node would exit 0 in silence.
process.on('exit', (code) => {
  if (!finished && code === 0) {
    console.error(`${name}: the process ran out of work before the scenario finished`)
    process.exitCode = 1
  }
})
scenarios[name]().then(
  () => {
    finished = true
    console.log(`ok ${name}`)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  },
)
