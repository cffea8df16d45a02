// Measures the prototype of benchmark/prototypes/indexed-moka.mjs (get hits
// answered from a JS Map, reads handed to moka in batches or sampled), not
// part of the package or of `npm run bench`. Three parts:
//
//   speed      ns/op against moka-js and lru-cache, interleaved in rounds with
//              core-speed's harness (lib/rounds.mjs, a loop compiled per
//              case and contender by lib/loops.mjs), ratios taken per round
//   memory     heap bytes per entry: the prototype against moka-js, and a bare Map
//   instructions  instructions per get hit and miss under callgrind (benchmark/instructions.mjs's
//              worker and counting, --counts runs), capacity 10,000: machine-independent
//   hit-ratio  hit ratio on benchmark/traces/ (get; on a miss, set;
//              runPendingTasks() after every request, as the hit-ratio suite
//              replays moka-js TinyLFU, or with --maintenance=moka when moka
//              runs it), against moka-js TinyLFU; also counts index hits
//              moka itself did not hold (`has`, not a read)
//
//   node --expose-gc benchmark/prototypes/js-index.mjs [--parts=speed,memory,hit-ratio]
//     [--sizes=10000,100000] [--rounds=5] [--cases='get hit,get miss'] [--variants='index 1/16,index exact']
//     [--requests=100000|all] [--repeats=3] [--traces=oltp,gli] [--maintenance=each|moka] [--counts=2]
//
// moka-js and lru-cache always run; --variants picks the prototype's settings.
//
// Writes benchmark/results/local/js-index.json.
import { join } from 'node:path'
import { LRUCache } from 'lru-cache'
import { Moka } from '../../index.mjs'
import { instructions, NODE } from '../lib/callgrind.mjs'
import { BENCH_DIR, ROOT, environment, option, permutation, randomIndices, selection, writeResult } from '../lib/common.mjs'
import { MAX_REPS, OPS } from '../lib/instructions-cases.mjs'
import { filledCaches, fillCore } from '../lib/core-caches.mjs'
import { compileLoop } from '../lib/loops.mjs'
import { describeProbe, probeMemory } from '../lib/probe.mjs'
import { interleave, probeSummary, ratioSpread, sampler, spread } from '../lib/rounds.mjs'
import { loadTrace, traceTable } from '../lib/workloads.mjs'
import { IndexedMoka } from './indexed-moka.mjs'

const ALL_PARTS = ['speed', 'memory', 'instructions', 'hit-ratio']
const PARTS = selection('parts', ALL_PARTS) ?? ALL_PARTS
const SIZES = option('sizes', '10000,100000').split(',').map(Number)
const ROUNDS = Number(option('rounds', '5'))
const REQUESTS = option('requests', '100000')
const REPEATS = Number(option('repeats', '3'))
/** `each`: runPendingTasks() after every replayed request; `moka`: when moka runs it. */
const MAINTENANCE = option('maintenance', 'each')
/** Callgrind runs per instruction count. */
const COUNTS = Number(option('counts', '2'))
const OPS_PER_CALL = 1000
const STREAM = 1 << 18

/**
 * The prototype's settings measured: reads handed over in batches (`batch
 * 64`), or one hit in N (`1/N`; `all reads`: one miss in N too); removals
 * published as moka makes them, or (`drops`) as moka drops the values.
 */
const VARIANTS = [
  { name: 'index exact', batch: 1, sample: 1 },
  { name: 'index batch 64', batch: 64, sample: 1 },
  { name: 'index 1/4', batch: 1, sample: 4 },
  { name: 'index 1/8', batch: 1, sample: 8 },
  { name: 'index 1/16', batch: 1, sample: 16 },
  { name: 'index 1/4 all reads', batch: 1, sample: 4, sampleMisses: true },
  { name: 'index 1/16 all reads', batch: 1, sample: 16, sampleMisses: true },
  // Removals published when moka drops the value, releases in batches of 64: the index lags moka.
  { name: 'index exact drops', batch: 1, sample: 1, notify: false },
]
const PICKED = selection('variants', VARIANTS.map((v) => v.name))
const MEASURED = PICKED ? VARIANTS.filter((v) => PICKED.includes(v.name)) : VARIANTS
const CONTENDERS = [
  { name: 'moka', native: true, make: (n) => new Moka({ maxCapacity: n }) },
  { name: 'moka+listener', native: true, make: (n) => new Moka({ maxCapacity: n, evictionListener: () => {} }) },
  ...MEASURED.map((v) => ({ name: v.name, native: true, make: (n) => new IndexedMoka({ maxCapacity: n, ...v }) })),
  { name: 'lru-cache', native: false, make: (n) => new LRUCache({ max: n }) },
]

/** Loop bodies, core-speed's (benchmark/core-speed.mjs), plus a miss on keys never held. */
const CASES = {
  'get hit': 'if (cache.get(keys[pick[pos]]) === undefined) miss++; pos = (pos + 1) & MASK',
  'get miss': 'if (cache.get(absent[pick[pos]]) !== undefined) miss++; pos = (pos + 1) & MASK',
  'set update': 'cache.set(keys[pick[pos]], ++n); pos = (pos + 1) & MASK',
  'set evicting': 'cache.set(fresh[pos], ++n); if (++pos === fresh.length) pos = 0',
}
const CASES_RUN = selection('cases', Object.keys(CASES)) ?? Object.keys(CASES)
const KEEPS_KEYS = new Set(['get hit', 'get miss', 'set update'])

const { machine } = environment()
const result = { suite: 'js-index', prototype: true, ...environment(['lru-cache']), parts: {} }
console.log(`${machine.cpus} × ${machine.model}, load ${machine.loadavg.join(' ')}`)
result.probe = { start: probeMemory({ lscpu: machine.lscpu }) }
console.log(describeProbe(result.probe.start, 'start'))

async function speed() {
  const rows = []
  const probes = []
  for (const n of SIZES) {
    const keys = Array.from({ length: n }, (_, i) => `key:${i}`)
    const absent = Array.from({ length: n }, (_, i) => `absent:${i}`)
    const pick = randomIndices(n, STREAM, 42 + n)
    const fresh = Array.from(permutation(3 * n, 0xfeed + n), (i) => `new:${i}`)
    const { filled, dispose } = filledCaches(n, keys, KEEPS_KEYS)
    for (const caseName of CASES_RUN) {
      const body = CASES[caseName]
      const loops = CONTENDERS.map((c) => ({
        name: c.name,
        loop: compileLoop(body, { cache: filled(c, caseName), keys, absent, pick, fresh, MASK: STREAM - 1 }, OPS_PER_CALL, `${caseName} ${c.name}`),
      }))
      globalThis.gc?.()
      const measured = await interleave(
        loops.map(({ name, loop }) => ({ name, sample: sampler(() => loop.run(), { opsPerCall: OPS_PER_CALL }) })),
        ROUNDS,
      )
      probes.push(...measured.probes)
      const by = measured.perRound
      for (const { name, loop } of loops) {
        if (loop.misses() !== 0) throw new Error(`${caseName} ${name}: ${loop.misses()} wrong answers`)
        const row = { keys: n, case: caseName, contender: name, ns: spread(by.get(name)), rounds: by.get(name), toLruCache: ratioSpread(by.get(name), by.get('lru-cache')), toMoka: ratioSpread(by.get(name), by.get('moka')) }
        rows.push(row)
        const r = (s) => `${s.median.toFixed(2)}× [${s.min.toFixed(2)}–${s.max.toFixed(2)}]`
        console.log(`${n} | ${caseName} | ${name}: ${row.ns.median.toFixed(0)} ns [${row.ns.min.toFixed(0)}–${row.ns.max.toFixed(0)}], ÷ lru-cache ${r(row.toLruCache)}, ÷ moka ${r(row.toMoka)}`)
      }
      console.log(`  round probes (4 MiB load): ${JSON.stringify(probeSummary(measured.probes))}`)
    }
    dispose()
  }
  return { rows, probes: probeSummary(probes), method: { rounds: ROUNDS, opsPerCall: OPS_PER_CALL } }
}

/** Heap bytes per entry of `make()` filled with `keys` (the keys themselves held apart, so not counted). */
function heapPerEntry(make, keys) {
  globalThis.gc()
  const before = process.memoryUsage().heapUsed
  const made = make()
  globalThis.gc()
  const bytes = (process.memoryUsage().heapUsed - before) / keys.length
  made.dispose?.()
  return Math.round(bytes * 10) / 10
}

function memory() {
  if (!globalThis.gc) throw new Error('the memory part needs node --expose-gc')
  const rows = []
  for (const n of SIZES) {
    const keys = Array.from({ length: n }, (_, i) => `key:${i}`)
    const filledWith = (c) => () => {
      const cache = c.make(n)
      fillCore(cache, c, keys)
      return cache
    }
    const row = { keys: n, bytesPerEntry: {} }
    for (const c of CONTENDERS.filter((c) => ['moka', 'index exact', 'lru-cache'].includes(c.name))) row.bytesPerEntry[c.name] = spread([1, 2, 3].map(() => heapPerEntry(filledWith(c), keys))).median
    row.bytesPerEntry['Map<key, slot> alone'] = spread([1, 2, 3].map(() => heapPerEntry(() => new Map(keys.map((k, i) => [k, i])), keys))).median
    console.log(`${n} keys, V8 heap bytes per entry (median of 3): ${JSON.stringify(row.bytesPerEntry)}`)
    rows.push(row)
  }
  return { rows, method: 'process.memoryUsage().heapUsed after gc(), filled cache minus empty heap, keys allocated beforehand; native memory not counted' }
}

/** Instructions per operation of `policy` (the worker's: 'tinyLfu', 'lru-cache', 'index:BATCH:SAMPLE:misses|hits:notify|drops'), per run. */
function counted(kase, policy, runs) {
  const run = (reps) => instructions([...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT, policy])
  return Array.from({ length: runs }, () => (run(MAX_REPS) - run(1)) / ((MAX_REPS - 1) * OPS))
}

function instructionCounts() {
  const policies = { moka: 'tinyLfu', 'lru-cache': 'lru-cache', ...Object.fromEntries(MEASURED.map((v) => [v.name, `index:${v.batch}:${v.sample}:${v.sampleMisses ? 'misses' : 'hits'}:${v.notify === false ? 'drops' : 'notify'}`])) }
  const rows = []
  for (const kase of CASES_RUN.filter((c) => c.startsWith('get'))) {
    const row = { case: kase, perOperation: {} }
    for (const [name, policy] of Object.entries(policies)) {
      const runs = counted(kase, policy, COUNTS)
      row.perOperation[name] = { ...spread(runs), runs }
      console.log(`${kase} | ${name}: ${runs.map((x) => Math.round(x).toLocaleString('en-US')).join(', ')} instructions`)
    }
    rows.push(row)
  }
  return { rows, method: `benchmark/instructions.mjs counting (setarch -R valgrind --tool=callgrind), its worker at capacity 10,000, ${COUNTS} runs` }
}

/** Replays `trace` through `cache`: get; on a miss, set; maintenance after every request unless MAINTENANCE is `moka`. */
function replay(cache, trace) {
  let hits = 0
  let stale = 0
  const checked = cache instanceof IndexedMoka
  for (let i = 0; i < trace.length; i++) {
    const k = trace[i]
    if (cache.get(k) !== undefined) {
      hits++
      if (checked && !cache.presentNatively(k)) stale++
    } else cache.set(k, 1)
    if (MAINTENANCE === 'each') cache.runPendingTasks()
  }
  cache.dispose()
  return { hitRatio: Math.round((10000 * hits) / trace.length) / 100, stale }
}

function hitRatio() {
  const only = selection('traces', traceTable().map((t) => t.name))
  const rows = []
  const policies = [{ name: 'moka tinyLfu', make: (cap) => new Moka({ maxCapacity: cap }) }, ...MEASURED.map((v) => ({ name: v.name, make: (cap) => new IndexedMoka({ maxCapacity: cap, ...v }) }))]
  for (const t of traceTable()) {
    if (only && !only.includes(t.name)) continue
    const full = loadTrace(t.name)
    const trace = REQUESTS === 'all' ? full : full.subarray(0, Number(REQUESTS))
    for (const cap of t.caps) {
      const row = { trace: t.name, requests: trace.length, capacity: cap, hitRatio: {}, stale: {} }
      for (const p of policies) {
        const runs = Array.from({ length: REPEATS }, () => replay(p.make(cap), trace))
        row.hitRatio[p.name] = { ...spread(runs.map((r) => r.hitRatio)), runs: runs.map((r) => r.hitRatio) }
        if (p.name !== 'moka tinyLfu') row.stale[p.name] = runs.reduce((s, r) => s + r.stale, 0)
      }
      rows.push(row)
      const cell = (s) => (s.min === s.max ? s.median.toFixed(2) : `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`)
      console.log(`${t.name} (${trace.length}) @ ${cap}: ${policies.map((p) => `${p.name} ${cell(row.hitRatio[p.name])}`).join(', ')}; stale index hits ${JSON.stringify(row.stale)}`)
    }
  }
  return { rows, method: { requests: REQUESTS, repeats: REPEATS, replay: `get; on a miss, set (value 1); ${MAINTENANCE === 'each' ? 'runPendingTasks() after every request' : 'maintenance when moka runs it'}` } }
}

if (PARTS.includes('speed')) result.parts.speed = await speed()
if (PARTS.includes('memory')) result.parts.memory = memory()
if (PARTS.includes('instructions')) result.parts.instructions = instructionCounts()
if (PARTS.includes('hit-ratio')) result.parts.hitRatio = hitRatio()
result.probe.end = probeMemory({ lscpu: machine.lscpu })
console.log(describeProbe(result.probe.end, 'end'))
writeResult('js-index', result, { local: true, partial: PARTS.length < ALL_PARTS.length || PICKED !== undefined || CASES_RUN.length < Object.keys(CASES).length })
