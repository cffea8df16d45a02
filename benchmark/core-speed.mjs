// The native core's cost per operation, against another build of moka-js
// (`--baseline=DIR`, a checkout with its addon built) and lru-cache, all in
// one process, interleaved in rounds. Prints the median and range in ns/op
// and writes results/local/core-speed.json (results/ with --update), whose
// get-hit figures `npm run bench:sanity -- --suite=core-speed` checks against
// a plain loop. With `--rust`, each round also runs the Rust bench
// `moka_baseline` (moka with the addon's exact configurations, no JS) for the
// same key count, so the binding's cost over moka's own is read from the same
// rounds.
//
//   node --expose-gc benchmark/core-speed.mjs [--baseline=DIR] [--rust] [--sizes=1000,10000,100000] [--rounds=5]
//
// The harness is the latency suite's (lib/rounds.mjs: interleaved rounds,
// each taking the median of a few timed batches after an untimed half batch,
// order rotated per round), and every (case, contender) pair runs a loop
// compiled for it alone (lib/loops.mjs). Measured the earlier way (one
// closure shared by the contenders, each timed once per round on a cache
// filled and collected just before), lru-cache's get hit read 931 ns at 10k
// keys (78–1,179 over 3 rounds) and 4,590 at 100k, where a plain loop of its
// own read 56 and 426 (`npm run bench:sanity -- --suite=core-speed`,
// 2026-12-04, load 12–15). With loops of their own and nothing else changed,
// still 478–783 ns at 10k: the single timed run on a cache just filled and
// collected was the rest of it.
import { execFileSync } from 'node:child_process'
import { environment, option, permutation, randomIndices, writeResult } from './lib/common.mjs'
import { coreCaches, filledCaches } from './lib/core-caches.mjs'
import { compileLoop } from './lib/loops.mjs'
import { describeProbe, probeMemory, probeVerdict } from './lib/probe.mjs'
import { TIMING, interleave, probeSummary, ratioSpread, sampler, spread } from './lib/rounds.mjs'

const CONTENDERS = coreCaches(option('baseline', undefined))
const SIZES = option('sizes', '1000,10000,100000').split(',').map(Number)
const ROUNDS = Number(option('rounds', '5'))
/** Operations per call of a loop. */
const OPS_PER_CALL = 1000
/** Length of the random index stream (a power of two). */
const STREAM = 1 << 18
/** Keys per setMany call. */
const BATCH = 100

/** The Rust bench's configurations reported beside the Node contenders, and the cases they have. */
const RUST_CONFIGS = { 'addon default (no listener)': 'moka in Rust', 'addon + eviction listener': 'moka+listener in Rust' }
const RUST_CASES = { getHit: 'get hit', update: 'set update', evicting: 'set evicting' }
/** The built `moka_baseline` executable (cargo prints its path), or undefined without `--rust`. */
const rustBench = process.argv.includes('--rust') ? buildRustBench() : undefined

function buildRustBench() {
  const messages = execFileSync('cargo', ['bench', '--bench', 'moka_baseline', '--no-run', '--message-format=json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  const executable = messages
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .find((m) => m.reason === 'compiler-artifact' && m.target?.name === 'moka_baseline' && m.executable)?.executable
  if (!executable) throw new Error('cargo built no moka_baseline executable')
  return executable
}

/** One round of the Rust bench for `n` keys, recorded like a Node contender's. */
function recordRust(n) {
  const env = { ...process.env, MOKA_BASELINE_N: String(n), MOKA_BASELINE_ROUNDS: '1', MOKA_BASELINE_JSON: '1', MOKA_BASELINE_CONFIGS: Object.keys(RUST_CONFIGS).join(',') }
  const out = execFileSync(rustBench, [], { encoding: 'utf8', env })
  for (const row of out.split('\n').filter(Boolean).map((line) => JSON.parse(line))) {
    const name = RUST_CONFIGS[row.configuration]
    if (name === undefined) continue
    for (const [field, caseName] of Object.entries(RUST_CASES)) ((results[`${n}|${caseName}`] ??= {})[name] ??= []).push(row[field])
  }
}

/**
 * Loop bodies per case (one operation; a batch for setMany) seeing `cache`,
 * `keys` (the N keys it holds), `pick` (STREAM random indices into keys),
 * `fresh` (3N keys it never held, in shuffled order, cycled: a key comes back
 * 3N operations after it went in, long after an N-entry cache dropped it),
 * `batches` ([key, value] arrays of fresh keys, cycled) and `init`. The
 * peers' getWith is get, then set on a miss.
 */
const CASES = {
  'get hit': () => 'if (cache.get(keys[pick[pos]]) === undefined) miss++; pos = (pos + 1) & MASK',
  'set update': () => 'cache.set(keys[pick[pos]], ++n); pos = (pos + 1) & MASK',
  'set evicting': () => 'cache.set(fresh[pos], ++n); if (++pos === fresh.length) pos = 0',
  'getWith miss': (c) =>
    c.native
      ? 'cache.getWith(fresh[pos], init); if (++pos === fresh.length) pos = 0'
      : 'const k = fresh[pos]; if (++pos === fresh.length) pos = 0; let v = cache.get(k); if (v === undefined) { v = init(k); cache.set(k, v) }',
  [`setMany (${BATCH} per call)`]: (c) =>
    c.native
      ? 'cache.setMany(batches[pos]); if (++pos === batches.length) pos = 0'
      : 'const es = batches[pos]; if (++pos === batches.length) pos = 0; for (let i = 0; i < es.length; i++) cache.set(es[i][0], es[i][1])',
}
const BATCHED = `setMany (${BATCH} per call)`
/** The cases that keep the filled cache's keys in place; the others get caches of their own. */
const KEEPS_KEYS = new Set(['get hit', 'set update'])

const results = {}
const { machine } = environment()
console.log(`${machine.cpus} × ${machine.model}, load ${machine.loadavg.join(' ')}`)
const probeStart = probeMemory({ lscpu: machine.lscpu })
console.log(describeProbe(probeStart, 'start'))
const init = (k) => k
const probes = []
let missed = 0
for (const n of SIZES) {
  const keys = Array.from({ length: n }, (_, i) => `key:${i}`)
  const pick = randomIndices(n, STREAM, 42 + n)
  const fresh = Array.from(permutation(3 * n, 0xfeed + n), (i) => `new:${i}`)
  const batches = Array.from({ length: Math.ceil(fresh.length / BATCH) }, (_, b) => fresh.slice(b * BATCH, (b + 1) * BATCH).map((k, j) => [k, j]))
  const { filled, dispose } = filledCaches(n, keys, KEEPS_KEYS)
  for (const [i, [caseName, body]] of Object.entries(CASES).entries()) {
    const loops = CONTENDERS.map((c) => ({
      name: c.name,
      loop: compileLoop(body(c), { cache: filled(c, caseName), keys, pick, fresh, batches, init, MASK: STREAM - 1 }, caseName === BATCHED ? OPS_PER_CALL / BATCH : OPS_PER_CALL, `${caseName} ${c.name}`),
    }))
    globalThis.gc?.()
    // A figure is per key: a call of OPS_PER_CALL / BATCH batches sets OPS_PER_CALL keys.
    const measured = await interleave(
      loops.map(({ name, loop }) => ({ name, sample: sampler(() => loop.run(), { opsPerCall: OPS_PER_CALL }) })),
      ROUNDS,
      // The Rust bench runs once per round, during the first case's rounds.
      () => rustBench && i === 0 && recordRust(n),
    )
    probes.push(...measured.probes)
    for (const { name, loop } of loops) {
      if (caseName === 'get hit' && loop.misses() !== 0) missed++
      ;(results[`${n}|${caseName}`] ??= {})[name] = measured.perRound.get(name)
    }
  }
  dispose()
}
if (missed) throw new Error(`get hit missed in ${missed} loops`)

const names = [...CONTENDERS.map((c) => c.name), ...(rustBench ? Object.values(RUST_CONFIGS) : [])]
const probeEnd = probeMemory({ lscpu: machine.lscpu })
console.log(describeProbe(probeEnd, 'end'))
const rows = Object.entries(results).flatMap(([id, byName]) => {
  const [n, caseName] = id.split('|')
  return names.filter((name) => byName[name]).map((name) => ({ keys: Number(n), case: caseName, contender: name, ns: spread(byName[name]), rounds: byName[name], ratio: ratioSpread(byName[name], byName.moka) }))
})
console.log(`\nns/op, median of ${ROUNDS} interleaved rounds [min–max]; ratio to moka's in the same round, median`)
console.log(['keys', 'case', ...names].join(' | '))
for (const id of Object.keys(results)) {
  const [n, caseName] = id.split('|')
  const cells = names.map((name) => {
    const r = rows.find((x) => x.keys === Number(n) && x.case === caseName && x.contender === name)
    if (!r) return '—'
    return `${r.ns.median.toFixed(0)} [${r.ns.min.toFixed(0)}–${r.ns.max.toFixed(0)}]${name === 'moka' ? '' : ` (${r.ratio.median.toFixed(2)}×)`}`
  })
  console.log([n, caseName, ...cells].join(' | '))
}
writeResult('core-speed', {
  suite: 'core-speed',
  ...environment(['lru-cache']),
  probe: { start: probeStart, end: probeEnd, verdict: probeVerdict({ start: probeStart, end: probeEnd }), rounds: probeSummary(probes) },
  method: { rounds: ROUNDS, opsPerCall: OPS_PER_CALL, batch: BATCH, ...TIMING, harness: 'interleaved rounds (benchmark/lib/rounds.mjs), a loop compiled per (case, contender) (benchmark/lib/loops.mjs)' },
  rows,
})

if (rustBench) {
  // What the binding adds to moka's own cost, taken round by round (each
  // round ran the Rust bench and the Node contenders back to back).
  console.log('\nbinding over moka in Rust, median of the per-round figures [min–max]')
  const pairs = [
    ['moka', 'moka in Rust'],
    ['moka+listener', 'moka+listener in Rust'],
  ]
  for (const [id, byName] of Object.entries(results)) {
    const [n, caseName] = id.split('|')
    for (const [node, rust] of pairs) {
      if (!byName[rust]) continue
      const extra = byName[node].map((x, i) => x - byName[rust][i])
      const share = byName[node].map((x, i) => (x / byName[rust][i] - 1) * 100)
      const range = (xs, unit) => `${spread(xs).median.toFixed(0)}${unit} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`
      console.log(`${n} | ${caseName} | ${node}: +${range(extra, ' ns')}, +${range(share, ' %')}`)
    }
  }
}
