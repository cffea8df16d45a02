// The native core's cost per operation, against another build of moka-js
// (`--baseline=DIR`, a checkout with its addon built) and lru-cache, all in
// one process, interleaved in rounds. Prints the median and range in ns/op.
//
//   node --expose-gc benchmark/core-speed.mjs [--baseline=DIR] [--sizes=1000,10000,100000] [--rounds=5]
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
const names = Object.keys(contenders)
console.log(describeProbe(probeMemory({ lscpu: machine.lscpu }), 'end'))
console.log(`\nns/op, median of ${ROUNDS} interleaved rounds [min–max]; ratio = median / moka's`)
console.log(['keys', 'case', ...names].join(' | '))
for (const [id, byName] of Object.entries(results)) {
  const [n, caseName] = id.split('|')
  const base = median(byName.moka)
  const cells = names.map((name) => {
    const xs = byName[name]
    const m = median(xs)
    return `${m.toFixed(0)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}] ${name === 'moka' ? '' : `(${(m / base).toFixed(2)}×)`}`
  })
  console.log([n, caseName, ...cells].join(' | '))
}
