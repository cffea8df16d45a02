// The native core's cost per operation, against another build of moka-js
// (`--baseline=DIR`, a checkout with its addon built) and lru-cache, all in
// one process, interleaved in rounds. Prints the median and range in ns/op.
// With `--rust`, each round also runs the Rust bench `moka_baseline` (moka
// with the addon's exact configurations, no JS) for the same key count, so the
// binding's cost over moka's own is read from the same rounds.
//
//   node --expose-gc benchmark/core-speed.mjs [--baseline=DIR] [--rust] [--sizes=1000,10000,100000] [--rounds=5]
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { LRUCache } from 'lru-cache'
import { Moka } from '../index.mjs'
import { environment, option } from './lib/common.mjs'
import { describeProbe, probeMemory } from './lib/probe.mjs'

const require = createRequire(import.meta.url)
const baselineDir = option('baseline', undefined)
const Baseline = baselineDir === undefined ? undefined : require(baselineDir).Moka
const SIZES = option('sizes', '1000,10000,100000').split(',').map(Number)
const ROUNDS = Number(option('rounds', '5'))
const OPS = 200_000

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

const contenders = {
  moka: (n, extra) => new Moka({ maxCapacity: n, ...extra }),
  'moka+listener': (n, extra) => new Moka({ maxCapacity: n, evictionListener: () => {}, ...extra }),
  ...(Baseline && { 'moka (baseline build)': (n, extra) => new Baseline({ maxCapacity: n, ...extra }) }),
  'lru-cache': (n) => {
    const c = new LRUCache({ max: n })
    c.getWith = (k, init) => c.get(k) ?? (c.set(k, init(k)), c.get(k))
    c.setMany = (entries) => { for (const [k, v] of entries) c.set(k, v) }
    return c
  },
}

function picks(n, count, seed = 42) {
  let x = seed
  return Uint32Array.from({ length: count }, () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5
    return (x >>> 0) % n
  })
}

/** ns/op of `run(cache, keys, pick)` on a cache filled with n keys. */
const cases = {
  'get hit': (c, keys, pick) => { let s = 0; for (let i = 0; i < OPS; i++) s += c.get(keys[pick[i]]) === undefined ? 0 : 1; return s },
  'set update': (c, keys, pick) => { for (let i = 0; i < OPS; i++) c.set(keys[pick[i]], i) },
  'set evicting': (c, keys, pick, fresh) => { for (let i = 0; i < OPS; i++) c.set(fresh[i], i) },
  'getWith miss': (c, keys, pick, fresh) => { for (let i = 0; i < OPS; i++) c.getWith(fresh[i], () => i) },
  'setMany (100 per call)': (c, keys, pick, fresh) => {
    for (let i = 0; i < OPS; i += 100) c.setMany(fresh.slice(i, i + 100).map((k, j) => [k, j]))
  },
}

const results = {}
const { machine } = environment()
console.log(`${machine.cpus} × ${machine.model}, load ${machine.loadavg.join(' ')}`)
console.log(describeProbe(probeMemory({ lscpu: machine.lscpu }), 'start'))
for (const n of SIZES) {
  const keys = Array.from({ length: n }, (_, i) => `key:${i}`)
  const pick = picks(n, OPS)
  for (let round = 0; round < ROUNDS; round++) {
    const fresh = Array.from({ length: OPS }, (_, i) => `new:${round}:${i}`)
    if (rustBench) recordRust(n)
    for (const [caseName, run] of Object.entries(cases)) {
      for (const [name, make] of Object.entries(contenders)) {
        const cache = make(n)
        for (const k of keys) cache.set(k, k)
        cache.runPendingTasks?.()
        globalThis.gc?.()
        const t = process.hrtime.bigint()
        run(cache, keys, pick, fresh)
        const ns = Number(process.hrtime.bigint() - t) / OPS
        ;((results[`${n}|${caseName}`] ??= {})[name] ??= []).push(ns)
        cache.dispose?.()
      }
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
const names = [...Object.keys(contenders), ...(rustBench ? Object.values(RUST_CONFIGS) : [])]
console.log(describeProbe(probeMemory({ lscpu: machine.lscpu }), 'end'))
console.log(`\nns/op, median of ${ROUNDS} interleaved rounds [min–max]; ratio = median / moka's`)
console.log(['keys', 'case', ...names].join(' | '))
for (const [id, byName] of Object.entries(results)) {
  const [n, caseName] = id.split('|')
  const base = median(byName.moka)
  const cells = names.map((name) => {
    const xs = byName[name]
    if (xs === undefined) return '—'
    const m = median(xs)
    return `${m.toFixed(0)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}] ${name === 'moka' ? '' : `(${(m / base).toFixed(2)}×)`}`
  })
  console.log([n, caseName, ...cells].join(' | '))
}

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
      const range = (xs, unit) => `${median(xs).toFixed(0)}${unit} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`
      console.log(`${n} | ${caseName} | ${node}: +${range(extra, ' ns')}, +${range(share, ' %')}`)
    }
  }
}
