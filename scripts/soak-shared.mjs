// SharedMoka under worker churn, for minutes:
//
//   npm run soak:shared [-- --minutes=10 --workers=4]
//
// The main thread holds the cache (with an eviction listener) and reads it;
// meanwhile workers are created and terminated in a loop, each writing,
// reading, deleting and fetching through the same cache: loads that succeed,
// fail, hang past their timeout, are aborted, or whose worker is terminated
// mid-load. Every `--report` seconds it prints RSS and counts; at the end it
// checks that nothing hung, that RSS stayed bounded after warm-up, and that
// the counts agree (every removal heard by the listener or counted as dropped;
// every fetch answered). Exit 0 when every check holds.

import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const root = fileURLToPath(new URL('..', import.meta.url))
const { SharedMoka } = require(root)

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const MINUTES = arg('minutes', 10)
const WORKERS = arg('workers', 4)
const REPORT_S = arg('report', 30)
const OPTIONS = { name: 'soak', maxCapacity: 20_000, perEntryExpiry: true }

const WORKER = `
const { SharedMoka } = require(${JSON.stringify(root)})
const { parentPort, workerData } = require('node:worker_threads')
const cache = new SharedMoka(${JSON.stringify(OPTIONS)})
const counts = { sets: 0, gets: 0, hits: 0, deletes: 0, fetches: 0, loads: 0, failed: 0, timeouts: 0, aborted: 0 }
let n = workerData.seed
const rand = (m) => ((n = (n * 1103515245 + 12345) >>> 0) % m)
async function round() {
  for (let i = 0; i < 2000; i++) {
    const key = 'k' + rand(50_000)
    const op = rand(100)
    if (op < 35) { cache.set(key, op % 2 ? 'v'.repeat(rand(200)) : { i, at: Date.now() }, op % 5 === 0 ? { ttl: 50 + rand(2000) } : undefined); counts.sets++ }
    else if (op < 80) { counts.gets++; if (cache.get(key) !== undefined) counts.hits++ }
    else if (op < 85) { cache.delete(key); counts.deletes++ }
    else {
      counts.fetches++
      const kind = rand(10)
      const ac = new AbortController()
      const p = cache.fetch('f' + rand(200), async () => {
        counts.loads++
        await new Promise((r) => setTimeout(r, rand(20)))
        if (kind === 0) throw new Error('backend down')
        if (kind === 1) await new Promise((r) => setTimeout(r, 500)) // past the timeout below
        return 'loaded ' + i
      }, kind === 2 ? { signal: ac.signal } : { timeout: 200 })
      if (kind === 2) setTimeout(() => ac.abort(), rand(10))
      await p.catch((e) => { if (e.name === 'TimeoutError') counts.timeouts++; else if (e.name === 'AbortError') counts.aborted++; else counts.failed++ })
    }
  }
}
;(async () => { for (;;) { await round(); parentPort.postMessage(counts) } })()
`

const started = Date.now()
const deadline = started + MINUTES * 60_000
const cache = new SharedMoka({ ...OPTIONS, evictionListener: () => heard++, listenerQueueBytes: 8 * 1024 * 1024 })
let heard = 0
const totals = { created: 0, terminated: 0, rounds: 0, sets: 0, gets: 0, hits: 0, deletes: 0, fetches: 0, loads: 0, failed: 0, timeouts: 0, aborted: 0 }
const live = new Set()

function spawn() {
  const worker = new Worker(WORKER, { eval: true, workerData: { seed: totals.created * 7919 + 1 } })
  totals.created++
  let last = null
  const entry = { worker, lastCounts: () => last, started: Date.now() }
  worker.on('message', (c) => {
    last = c
    totals.rounds++
  })
  worker.on('error', (e) => {
    console.error('worker error:', e)
    process.exitCode = 1
  })
  live.add(entry)
}

async function retire(entry) {
  live.delete(entry)
  await entry.worker.terminate()
  totals.terminated++
  const c = entry.lastCounts()
  if (c) for (const k of Object.keys(c)) totals[k] += c[k]
}

const mb = () => Math.round(process.memoryUsage().rss / 1048576)
const samples = []
function report() {
  const s = cache.stats()
  const line = {
    s: Math.round((Date.now() - started) / 1000),
    rssMB: mb(),
    size: cache.size,
    workers: live.size,
    created: totals.created,
    removed: s.removed,
    heard,
    dropped: s.listenerDropped,
    loadsInFlight: cache.loadsInFlight,
  }
  samples.push(line)
  console.log(JSON.stringify(line))
}

for (let i = 0; i < WORKERS; i++) spawn()
let nextReport = Date.now() + REPORT_S * 1000
while (Date.now() < deadline) {
  // Churn: the oldest worker is terminated (whatever it is doing) and replaced.
  await new Promise((r) => setTimeout(r, 250))
  for (let i = 0; i < 200; i++) cache.get('k' + ((Math.random() * 50_000) | 0))
  const oldest = [...live].sort((a, b) => a.started - b.started)[0]
  await retire(oldest)
  spawn()
  if (Date.now() >= nextReport) {
    report()
    nextReport += REPORT_S * 1000
  }
}
await Promise.all([...live].map(retire))
// Entries with a ttl (at most 2.05 s) expire now that nobody writes; then the
// count of removals stops moving and the last notifications reach the listener.
await new Promise((r) => setTimeout(r, 2500))
cache.runPendingTasks()
await new Promise((r) => setTimeout(r, 200))
report()

const checks = []
const check = (ok, what) => {
  checks.push([ok, what])
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
}
const s = cache.stats()
check(s.removed === heard + s.listenerDropped, `every removal heard or counted as dropped (${s.removed} = ${heard} + ${s.listenerDropped})`)
check(cache.loadsInFlight === 0, `no load left in flight after every worker ended (${cache.loadsInFlight})`)
check(totals.created === totals.terminated, `${totals.created} workers created, ${totals.terminated} terminated`)
// Worker churn moves RSS by a few hundred MB from sample to sample (each worker is a V8
// isolate, freed when collected): the check is on the trend, medians of the two halves
// of the run after its first minute.
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]
const settled = samples.filter((x) => x.s >= 60 && x.workers > 0).map((x) => x.rssMB)
const half = Math.floor(settled.length / 2)
const [early, late] = settled.length >= 2 ? [median(settled.slice(0, half)), median(settled.slice(half))] : [0, 0]
if (settled.length >= 2) {
  check(late - early < 100, `RSS bounded: median ${early} MB in the first half after warm-up, ${late} MB in the second (peak ${Math.max(...settled)} MB)`)
} else console.log('RSS trend not judged: the run is too short for two samples after its first minute')
console.log(JSON.stringify({ minutes: MINUTES, workers: WORKERS, totals, final: samples.at(-1) }))
cache.close()
process.exit(checks.every(([ok]) => ok) && process.exitCode !== 1 ? 0 : 1)
