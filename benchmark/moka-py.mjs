// moka-js against moka-py (the Python binding of the same Rust crate) on
// moka-py's own benchmark matrix, measured interleaved: each round takes one
// figure from moka-py and moka-js, for both policies, in rotating order.
//
//   node benchmark/moka-py.mjs [--quick] [--venv=DIR] [--cases=set_replace,remove_hit]
//
// The Python side is benchmark/moka_py_bench.py, a worker driven over a pipe,
// run in a local virtualenv (benchmark/.venv, or --venv=DIR) created on first
// use with benchmark/requirements.txt from PyPI. Without Python or moka-py the
// suite fails and says why.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Moka } from '../index.mjs'
import { BENCH_DIR, QUICK, fmt, selection } from './lib/common.mjs'
import { PYTHON, preparePython } from './lib/python.mjs'
import { compileLoop } from './lib/loops.mjs'
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

// Node counterparts of moka_py_bench.py's cases: each makes, for one
// configuration, a loop doing OPS operations per call. Each loop is compiled
// from its own source (lib/loops.mjs), so that its call sites see only its
// own cache and key type: one function literal shared by the cases and the
// policies would share its type feedback and optimized code between them.
// Needles are equal to the stored keys but separate string objects, like the
// Python side's; long keys are built by concatenation, as application code
// builds them.
const KINDS = {
  int: (i) => i,
  short_str: (i) => `k${i}`,
  long_str: (i) => `${LONG_PREFIX}${i}`,
}
const SET_KEYS = 100_000
const init = () => 5
/** name → (variant) → { body, ctx, check? }: a case's loop body (lib/loops.mjs) and what it sees. */
const CASES = {}
for (const [name, make] of Object.entries(KINDS)) {
  const stored = Array.from({ length: CAPACITY }, (_, i) => make(i))
  for (const [kind, start] of [['hit', 5000], ['miss', 999_000]]) {
    // `miss` counts the unexpected results: a miss in a hit case, a hit in a miss case.
    CASES[`get_${kind}_${name}`] = (variant) => ({
      body: `if ((cache.get(needles[pos]) !== undefined) !== ${kind === 'hit'}) miss++; if (++pos === ${NEEDLE_POOL}) pos = 0`,
      ctx: { cache: prefilled(stored, variant), needles: needlePool(make, start) },
      check: true,
    })
  }
}
for (const [name, make] of [['set_int', (i) => i], ['set_str', String]]) {
  const keys = Array.from({ length: SET_KEYS }, (_, i) => make(i))
  CASES[name] = (variant) => ({ body: `const k = keys[pos]; cache.set(k, k); if (++pos === ${SET_KEYS}) pos = 0`, ctx: { cache: newMoka(variant), keys } })
}
CASES.set_replace = (variant) => {
  const cache = newMoka(variant)
  cache.set('hot', 'value')
  return { body: `cache.set('hot', 'value')`, ctx: { cache } }
}
CASES.get_with_hit = (variant) => {
  const cache = newMoka(variant)
  cache.getWith('hello', init)
  return { body: `cache.getWith('hello', init)`, ctx: { cache, init } }
}
CASES.get_with_miss = (variant) => ({ body: 'cache.getWith(n++, init)', ctx: { cache: newMoka(variant), init } })
CASES.remove_hit = (variant) => ({ body: 'cache.set(1, 1); cache.remove(1)', ctx: { cache: newMoka(variant) } })
CASES.remove_miss = (variant) => ({ body: 'cache.remove(needle)', ctx: { cache: newMoka(variant), needle: fresh(999_999) } })
/** The loop's own cost, beside the Python loop's: a read of the needle pool, no cache. */
const LOOP = () => ({ body: `n += pool[pos]; if (++pos === ${NEEDLE_POOL}) pos = 0`, ctx: { pool: needlePool((i) => i, 0) } })

/** The case's loop for one configuration, compiled for it alone: run(), and check(), which says whether its results were as expected. */
function compiledCase(name, variant) {
  const { body, ctx, check } = (name === 'loop' ? LOOP : CASES[name])(variant)
  const loop = compileLoop(body, ctx, OPS, `${name} ${variant.js}`)
  return { run: loop.run, check: check ? () => (loop.misses() === 0 ? 'ok' : `UNEXPECTED ${loop.misses()}`) : undefined }
}

/** One case: moka-py and moka-js for each configuration, interleaved; js/py within each round. */
async function measureCase(name, python) {
  const contenders = []
  const checks = {}
  for (const p of POLICIES) {
    const { run, check } = compiledCase(name, p)
    checks[p.js] = check
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
  /** `--cases`: some cases only (a partial run, never the reference). */
  const chosen = selection('cases', Object.keys(CASES))
  await runSuite(
    'moka-py',
    {
      title: 'moka-js vs moka-py',
      partial: chosen !== undefined,
      describe: [`moka-py's matrix, capacity ${CAPACITY.toLocaleString('en-US')}, each policy with no listener${QUICK ? '' : ', and tinyLfu with a no-op eviction listener'} on both sides; ns/op: median over ${ROUNDS} interleaved rounds (min–max); js/py taken within each round`],
    },
    async () => {
      const python = await startPython()
      console.log(`moka-py ${python.versions.moka_py} on ${python.versions.implementation} ${python.versions.python}`)
      try {
        const cases = []
        for (const name of chosen ?? Object.keys(CASES)) cases.push({ case: name, ...(await measureCase(name, python)) })
        const loop = (await measureCase('loop', python)).policies.tinyLfu
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
          },
        }
      } finally {
        python.stop()
      }
    },
  )
}

await main()
