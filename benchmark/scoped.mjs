// What a memoized method costs per instance, as a request-scoped (or
// transient) service creates one instance per request: construct the
// instance, call its method once. `@cached()` keeps one cache per instance;
// it builds that cache's native side only when a result is stored.
//
//   node benchmark/scoped.mjs            20,000 instances per row, 3 rounds
//   node benchmark/scoped.mjs --quick    5,000 instances per row, 3 rounds
//   node benchmark/scoped.mjs --instances=N --rounds=N
//
// Rows (one child process each, node --expose-gc; rounds interleave the rows):
//   plain method                 no caching: the baseline
//   @cached, nothing stored      the call throws (a lookup that finds nothing)
//   @cached, one result stored   the call returns a value, which is cached
//   lru-cache per instance       the peer: an LRUCache({ max: 1000 }) field, one result set
// Per instance: the time to construct and call (mean over the instances), and
// the growth of the V8 heap and of RSS with every instance alive, measured
// after full collections. "RSS kept" is RSS after the instances were dropped
// and collected, against the start: memory the process holds on to.
// Not part of `npm run bench`: its result, benchmark/results/scoped.json
// (written there with --update, else under results/local/), is quoted by
// the README's section on request-scoped providers.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { QUICK, environment, fmt, markdownTable, option, printTable, settle, writeResult } from './lib/common.mjs'

const INSTANCES = Number(option('instances', QUICK ? 5_000 : 20_000))
const ROUNDS = Number(option('rounds', 3))
const ROWS = ['plain method', '@cached, nothing stored', '@cached, one result stored', 'lru-cache per instance']

/** Applies a legacy (experimentalDecorators) method decorator by hand, as compiled NestJS code does. */
function decorateMethod(cls, name, decorator) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, name)
  Object.defineProperty(cls.prototype, name, decorator(cls.prototype, name, descriptor) ?? descriptor)
}

const NOT_FOUND = new Error('not found')

async function serviceClass(row) {
  if (row === 'lru-cache per instance') {
    const { LRUCache } = await import('lru-cache')
    return class Service {
      cache = new LRUCache({ max: 1000 })
      constructor(id) {
        this.id = id
      }
      find(key) {
        let value = this.cache.get(key)
        if (value === undefined) this.cache.set(key, (value = { key, id: this.id }))
        return value
      }
    }
  }
  const { cached } = await import('../index.mjs')
  class Service {
    constructor(id) {
      this.id = id
    }
    find(key) {
      // One error object for every call: the row measures the cache layer, not stack traces.
      if (row === '@cached, nothing stored') throw NOT_FOUND
      return { key, id: this.id }
    }
  }
  if (row !== 'plain method') decorateMethod(Service, 'find', cached())
  return Service
}

async function child(row) {
  const Service = await serviceClass(row)
  const call = (service) => {
    try {
      service.find('k')
    } catch {
      // the lookup found nothing: nothing is cached
    }
  }
  call(new Service(-1)) // loads the modules and the native cache code before measuring
  settle()
  const before = process.memoryUsage()
  const instances = new Array(INSTANCES)
  const t0 = performance.now()
  for (let i = 0; i < INSTANCES; i++) {
    const service = new Service(i)
    call(service)
    instances[i] = service
  }
  const ms = performance.now() - t0
  settle()
  const alive = process.memoryUsage()
  instances.fill(undefined)
  // Native caches are freed by finalizers, which run after collections and a turn of the loop.
  for (let i = 0; i < 5; i++) {
    settle()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const dropped = process.memoryUsage()
  return {
    row,
    instances: INSTANCES,
    nsPerInstance: (ms * 1e6) / INSTANCES,
    heapBytesPerInstance: (alive.heapUsed - before.heapUsed) / INSTANCES,
    rssBytesPerInstance: (alive.rss - before.rss) / INSTANCES,
    rssAliveMiB: alive.rss / 2 ** 20,
    heapAliveMiB: alive.heapUsed / 2 ** 20,
    rssKeptMiB: (dropped.rss - before.rss) / 2 ** 20,
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const range = (xs, format) => (xs.length < 2 ? '' : ` (${format(Math.min(...xs))}–${format(Math.max(...xs))})`)

async function parent() {
  const env = environment(['lru-cache'])
  console.log(`per-instance memoization — ${env.profile} profile — node ${env.node}, moka ${env.versions.moka}`)
  console.log(`${INSTANCES.toLocaleString('en-US')} instances per row, each constructed and called once; ${ROUNDS} rounds, rows interleaved; one child process per row and round\n`)
  const script = fileURLToPath(import.meta.url)
  const runs = new Map(ROWS.map((row) => [row, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so that no row always runs first.
    const order = ROWS.map((_, i) => ROWS[(i + round) % ROWS.length])
    for (const row of order) {
      const r = spawnSync(process.execPath, ['--expose-gc', script, `--child=${row}`, `--instances=${INSTANCES}`], { encoding: 'utf8', maxBuffer: 16 << 20 })
      if (r.status !== 0) throw new Error(`${row}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`)
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1))
      console.log(`  round ${round + 1} ${row.padEnd(27)} ${fmt.int(result.nsPerInstance)} ns, heap ${fmt.int(result.heapBytesPerInstance)} B, RSS ${fmt.int(result.rssBytesPerInstance)} B per instance`)
      runs.get(row).push(result)
    }
  }
  const baseline = median(runs.get('plain method').map((r) => r.nsPerInstance))
  const header = ['row', 'µs per instance', '× plain', 'heap B/instance', 'RSS B/instance', `RSS with ${INSTANCES.toLocaleString('en-US')} alive, MiB`, 'RSS kept after GC, MiB']
  const us = (x) => (x / 1000).toFixed(1)
  const table = ROWS.map((row) => {
    const rs = runs.get(row)
    const col = (key) => rs.map((r) => r[key])
    return [
      row,
      `${us(median(col('nsPerInstance')))}${range(col('nsPerInstance'), us)}`,
      fmt.ratio(median(col('nsPerInstance')) / baseline),
      fmt.int(median(col('heapBytesPerInstance'))),
      `${fmt.int(median(col('rssBytesPerInstance')))}${range(col('rssBytesPerInstance'), fmt.int)}`,
      fmt.int(median(col('rssAliveMiB'))),
      fmt.int(median(col('rssKeptMiB'))),
    ]
  })
  printTable(header, table, `Per-instance memoization — ${INSTANCES.toLocaleString('en-US')} instances, medians of ${ROUNDS} rounds (range)`)
  writeResult('scoped', {
    suite: 'scoped',
    ...env,
    method: {
      instances: INSTANCES,
      rounds: ROUNDS,
      perInstance: 'construct, call the method once (key "k"), keep the instance',
      bytes: 'growth of process.memoryUsage().heapUsed / .rss from before the first instance to all alive, after three gc() calls each',
      kept: 'RSS after dropping every instance and five rounds of gc() + a turn of the event loop, minus RSS before',
      decorator: 'cached() applied with the legacy (experimentalDecorators) signature, as compiled NestJS code calls it',
      isolation: 'one child process per row and round, node --expose-gc; row order rotates each round',
    },
    runs: Object.fromEntries(runs),
    markdown: markdownTable(header, table),
  })
}

const which = option('child', null)
if (which) {
  const result = await child(which)
  process.stdout.write(JSON.stringify(result) + '\n')
} else {
  await parent()
}
