// moka-js against moka-py (the Python binding of the same Rust crate) on
// moka-py's own benchmark matrix, measured interleaved: each round takes one
// figure from moka-py and moka-js, for both policies, in rotating order.
//
//   node benchmark/moka-py.mjs [--quick] [--venv=DIR]
//
// The Python side is benchmark/moka_py_bench.py, a worker driven over a pipe,
// run in a local virtualenv (benchmark/.venv, or --venv=DIR) created on first
// use with benchmark/requirements.txt from PyPI. Without Python or moka-py the
// suite fails and says why.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Moka } from '../index.mjs'
import { BENCH_DIR, QUICK, fmt } from './lib/common.mjs'
import { PYTHON, preparePython } from './lib/python.mjs'
import { ROUNDS, TIMING, interleave, probeSummary, ratioFigures, sampler, spread } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'

const CAPACITY = 10_000
const LONG_PREFIX = 'x'.repeat(64)
const NEEDLE_POOL = 100
const OPS = 1000
/** Python: operations per timed loop, loops per round. */
const PY_TIMING = QUICK ? { ops: 10_000, samples: 3 } : { ops: 30_000, samples: 5 }
/**
 * Configurations measured on both sides: each policy without a listener (the
 * default of both bindings), and the default policy with a no-op eviction
 * listener (moka then takes its per-key locks on every write; left out of the
 * quick profile, to keep it short). `js` names the column and keys the results.
 */
const POLICIES = [
  { js: 'tinyLfu', py: 'tiny_lfu', policy: { js: 'tinyLfu', py: 'tiny_lfu' }, listener: false },
  { js: 'lru', py: 'lru', policy: { js: 'lru', py: 'lru' }, listener: false },
  ...(QUICK ? [] : [{ js: 'tinyLfu + listener', py: 'tiny_lfu + listener', policy: { js: 'tinyLfu', py: 'tiny_lfu' }, listener: true }]),
]

let sink = 0

/** The Python worker: its versions, and request(case, variant) → ns/op of one round. */
async function startPython() {
  preparePython()
  const child = spawn(PYTHON, [join(BENCH_DIR, 'moka_py_bench.py')], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, PYTHONHASHSEED: '0' } })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async () => {
    const { value, done } = await lines.next()
    if (done) throw new Error(`moka_py_bench.py exited (code ${child.exitCode})`)
    return JSON.parse(value)
  }
  const versions = await next()
  return {
    versions,
    async request(kase, variant) {
      child.stdin.write(JSON.stringify({ case: kase, policy: variant.policy.py, listener: variant.listener, ...PY_TIMING }) + '\n')
      return (await next()).ns
    },
    stop: () => child.stdin.end(),
  }
}

const fresh = (i) => Number(String(i))
const needlePool = (make, start) => Array.from({ length: NEEDLE_POOL }, (_, i) => make(fresh(start + i)))
const noop = () => {}
/** A cache of the variant's configuration. */
const newMoka = (variant) => new Moka({ maxCapacity: CAPACITY, policy: variant.policy.js, ...(variant.listener ? { evictionListener: noop } : {}) })
const prefilled = (keys, variant) => {
  const cache = newMoka(variant)
  for (const k of keys) cache.set(k, 'value')
  cache.runPendingTasks()
  return cache
}

// Node counterparts of moka_py_bench.py's cases: each returns a function
// doing OPS operations. Needles are equal to the stored keys but separate
// string objects, like the Python side's; long keys are built by
// concatenation, as application code builds them.
function makeCases(variant) {
  const kinds = {
    int: (i) => i,
    short_str: (i) => `k${i}`,
    long_str: (i) => `${LONG_PREFIX}${i}`,
  }
  const cases = {}
  for (const [name, make] of Object.entries(kinds)) {
    const stored = Array.from({ length: CAPACITY }, (_, i) => make(i))
    for (const [kind, start] of [['hit', 5000], ['miss', 999_000]]) {
      cases[`get_${kind}_${name}`] = () => {
        const cache = prefilled(stored, variant)
        const needles = needlePool(make, start)
        let p = 0
        const expectHit = kind === 'hit'
        let wrong = 0
        const run = () => {
          for (let i = 0; i < OPS; i++) {
            if ((cache.get(needles[p]) !== undefined) !== expectHit) wrong++
            if (++p === NEEDLE_POOL) p = 0
          }
        }
        run.check = () => (wrong === 0 ? 'ok' : `UNEXPECTED ${wrong}`)
        return run
      }
    }
  }
  const setCycling = (keys) => () => {
    const cache = newMoka(variant)
    let p = 0
    return () => {
      for (let i = 0; i < OPS; i++) {
        const k = keys[p]
        cache.set(k, k)
        if (++p === keys.length) p = 0
      }
    }
  }
  cases.set_int = setCycling(Array.from({ length: 100_000 }, (_, i) => i))
  cases.set_str = setCycling(Array.from({ length: 100_000 }, (_, i) => String(i)))
  cases.set_replace = () => {
    const cache = newMoka(variant)
    cache.set('hot', 'value')
    return () => {
      for (let i = 0; i < OPS; i++) cache.set('hot', 'value')
    }
  }
  const init = () => 5
  cases.get_with_hit = () => {
    const cache = newMoka(variant)
    cache.getWith('hello', init)
    return () => {
      for (let i = 0; i < OPS; i++) cache.getWith('hello', init)
    }
  }
  cases.get_with_miss = () => {
    const cache = newMoka(variant)
    let key = 0
    return () => {
      for (let i = 0; i < OPS; i++) cache.getWith(key++, init)
    }
  }
  cases.remove_hit = () => {
    const cache = newMoka(variant)
    return () => {
      for (let i = 0; i < OPS; i++) {
        cache.set(1, 1)
        cache.remove(1)
      }
    }
  }
  cases.remove_miss = () => {
    const cache = newMoka(variant)
    const needle = fresh(999_999)
    return () => {
      for (let i = 0; i < OPS; i++) cache.remove(needle)
    }
  }
  return cases
}

/** The loop's own cost, beside the Python loop's. */
function emptyLoop() {
  const pool = needlePool((i) => i, 0)
  let p = 0
  const run = () => {
    for (let i = 0; i < OPS; i++) {
      sink += pool[p]
      if (++p === NEEDLE_POOL) p = 0
    }
  }
  return run
}

/** One case: moka-py and moka-js for each configuration, interleaved; js/py within each round. */
async function measureCase(name, python, byPolicy) {
  const contenders = []
  const checks = {}
  for (const p of POLICIES) {
    const run = name === 'loop' ? emptyLoop() : byPolicy[p.js][name]()
    checks[p.js] = run.check
    contenders.push({ name: `py ${p.js}`, sample: () => python.request(name, p) })
    contenders.push({ name: `js ${p.js}`, sample: sampler(run, { opsPerCall: OPS }) })
    if (name === 'loop') break // the loop has no policy
  }
  const { perRound: rounds, probes } = await interleave(contenders, ROUNDS)
  const policies = {}
  for (const p of POLICIES) {
    const py = rounds.get(`py ${p.js}`)
    const js = rounds.get(`js ${p.js}`)
    if (!js) continue
    const { ratio, ...normal } = ratioFigures(js, py, probes)
    policies[p.js] = { py: spread(py), js: spread(js), pyRounds: py, jsRounds: js, jsOverPy: ratio, ...normal, check: checks[p.js]?.() ?? null }
  }
  const figures = Object.entries(policies).map(([p, m]) => `${p}: py ${fmt.ns(m.py.median)}, js ${fmt.ns(m.js.median)} (js/py ${fmt.ratio(m.jsOverPy.median)})`)
  console.log(`${name}, ns/op: ${figures.join('; ')}`)
  return { policies, probes, probe: probeSummary(probes) }
}

async function main() {
  await runSuite(
    'moka-py',
    {
      title: 'moka-js vs moka-py',
      describe: [`moka-py's matrix, capacity ${CAPACITY.toLocaleString('en-US')}, each policy with no listener${QUICK ? '' : ', and tinyLfu with a no-op eviction listener'} on both sides; ns/op: median over ${ROUNDS} interleaved rounds (min–max); js/py taken within each round`],
    },
    async () => {
      const python = await startPython()
      console.log(`moka-py ${python.versions.moka_py} on ${python.versions.implementation} ${python.versions.python}`)
      try {
        const byPolicy = Object.fromEntries(POLICIES.map((p) => [p.js, makeCases(p)]))
        const cases = []
        for (const name of Object.keys(byPolicy.tinyLfu)) cases.push({ case: name, ...(await measureCase(name, python, byPolicy)) })
        const loop = (await measureCase('loop', python, byPolicy)).policies.tinyLfu
        const problems = cases.flatMap((c) => Object.entries(c.policies).filter(([, m]) => m.check?.startsWith('UNEXPECTED')).map(([p, m]) => `${c.case} ${p}: ${m.check}`))
        return {
          problems,
          data: {
            python: { mokaPy: python.versions.moka_py, python: python.versions.python, implementation: python.versions.implementation },
            method: {
              matrix: "moka-py's tests/test_benches.py (tuple-key cases left out), capacity 10,000, needle pool of 100",
              rounds: ROUNDS,
              python: { ...PY_TIMING, timing: 'time.perf_counter_ns around loops of `ops` operations, median of `samples` loops per round, GC off while timing, PYTHONHASHSEED=0' },
              node: { opsPerCall: OPS, ...TIMING, timing: 'lib/rounds.mjs sampler: median of `samples` timed batches of about `sampleMs` per round' },
              policies: POLICIES,
            },
            cases,
            loop: { py: loop.py, js: loop.js },
            sink: sink & 0,
          },
        }
      } finally {
        python.stop()
      }
    },
  )
}

await main()
