// What transparent huge pages do to a full cache's reads and writes: the
// same build in child processes, with mimalloc's advice (MIMALLOC_ALLOW_THP=1,
// its default, `madvise(MADV_HUGEPAGE)` on its arenas) and without
// (MIMALLOC_ALLOW_THP=0, which mimalloc turns into PR_SET_THP_DISABLE for
// the process), alternated and their order swapped each round.
// docs/adaptive.md ("Pause of a switch") explains why this is measured.
//
//   node benchmark/huge-pages.mjs [--entries=1000000] [--rounds=6]
//
// Each child fills a Moka of `entries` numbers, then times batches of 2^20
// random gets (all hits) and sets (updates), and prints the median batch's ns
// per operation and its RSS. The figure is the ratio without ÷ with advice
// in the same round, with its range over rounds.
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { option } from './lib/common.mjs'

const ENTRIES = Number(option('entries', '1000000'))
const ROUNDS = Number(option('rounds', '6'))
const CHILD = option('child', undefined)

if (CHILD !== undefined) child()
else parent()

function child() {
  const { Moka } = createRequire(import.meta.url)('../index.js')
  const cache = new Moka({ maxCapacity: ENTRIES })
  for (let i = 0; i < ENTRIES; i++) cache.set(i, i)
  cache.runPendingTasks()
  const keys = new Uint32Array(1 << 20)
  let x = 12345
  for (let i = 0; i < keys.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    keys[i] = x % ENTRIES
  }
  const timed = (op) => {
    const batches = []
    for (let b = 0; b < 7; b++) {
      const start = process.hrtime.bigint()
      op()
      // The first batch warms up.
      if (b > 0) batches.push(Number(process.hrtime.bigint() - start) / keys.length)
    }
    return batches.sort((a, b) => a - b)[batches.length >> 1]
  }
  let sum = 0
  const get = timed(() => {
    for (let i = 0; i < keys.length; i++) sum += cache.get(keys[i]) ?? 0
  })
  const set = timed(() => {
    for (let i = 0; i < keys.length; i++) cache.set(keys[i], i)
  })
  console.log(JSON.stringify({ get, set, rssMB: process.memoryUsage().rss / 1e6, sum }))
}

function parent() {
  const run = (allow) =>
    JSON.parse(
      execFileSync(process.execPath, [fileURLToPath(import.meta.url), `--child=${allow}`, `--entries=${ENTRIES}`], {
        env: { ...process.env, MIMALLOC_ALLOW_THP: allow },
        encoding: 'utf8',
      }),
    )
  const ratios = { get: [], set: [] }
  console.log(`${ENTRIES} entries; ns/op and RSS, with and without huge pages`)
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['1', '0'] : ['0', '1']
    const r = Object.fromEntries(order.map((allow) => [allow, run(allow)]))
    for (const op of ['get', 'set']) ratios[op].push(r['0'][op] / r['1'][op])
    const show = (m) => `get ${m.get.toFixed(0)}, set ${m.set.toFixed(0)}, RSS ${m.rssMB.toFixed(0)} MB`
    console.log(`round ${round + 1}: with ${show(r['1'])}; without ${show(r['0'])}`)
  }
  for (const op of ['get', 'set']) {
    const sorted = ratios[op].sort((a, b) => a - b)
    const median = sorted[sorted.length >> 1]
    console.log(`${op}: without ÷ with ${median.toFixed(2)}× [${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)}]`)
  }
}
