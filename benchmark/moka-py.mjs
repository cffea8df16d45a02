// moka-js against moka-py (the Python binding of the same Rust crate) on
// moka-py's own benchmark matrix, both measured in one run.
//
//   node benchmark/moka-py.mjs [--quick]
//
// The Python side runs benchmark/moka_py_bench.py in a local virtualenv,
// benchmark/.venv (or --venv=DIR), created on first use with moka-py from PyPI. If that
// fails, the Node side still runs and the result says why Python did not.
import b from 'benny'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Moka } from '../index.mjs'
import { BENCH_DIR, QUICK, environment, fmt, markdownTable, option, printTable, writeResult } from './lib/common.mjs'

const CAPACITY = 10_000
const LONG_PREFIX = 'x'.repeat(64)
const NEEDLE_POOL = 100
const OPS = 1000
const ROUNDS = QUICK ? 2 : 3
const timing = { minSamples: 5, minTime: 0.01, maxTime: 0.05 }
const POLICIES = [
  { js: 'tinyLfu', py: 'tiny_lfu' },
  { js: 'lru', py: 'lru' },
]

const VENV = option('venv', join(BENCH_DIR, '.venv'))
const PYTHON = join(VENV, 'bin', 'python')

/** Creates the virtualenv with moka-py when missing; returns null or the reason it could not. */
function preparePython() {
  if (existsSync(PYTHON)) {
    const check = spawnSync(PYTHON, ['-c', 'import moka_py'], { encoding: 'utf8' })
    if (check.status === 0) return null
  }
  console.log(`creating ${VENV} and installing moka-py from PyPI …`)
  const venv = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' })
  if (venv.status !== 0) return `python3 -m venv failed: ${(venv.stderr || venv.error?.message || '').trim()}`
  const pip = spawnSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', 'moka-py'], { encoding: 'utf8' })
  if (pip.status !== 0) return `pip install moka-py failed: ${(pip.stderr || pip.error?.message || '').trim().split('\n').slice(-3).join(' ')}`
  return null
}

function runPython() {
  const reason = preparePython()
  if (reason) return { error: reason }
  const args = [join(BENCH_DIR, 'moka_py_bench.py'), ...(QUICK ? ['--quick'] : [])]
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, PYTHONHASHSEED: '0' } })
  if (r.status !== 0) return { error: `moka_py_bench.py failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` }
  return JSON.parse(r.stdout)
}

const fresh = (i) => Number(String(i))
const needlePool = (make, start) => Array.from({ length: NEEDLE_POOL }, (_, i) => make(fresh(start + i)))
const prefilled = (keys, policy) => {
  const cache = new Moka({ maxCapacity: CAPACITY, policy })
  for (const k of keys) cache.set(k, 'value')
  cache.runPendingTasks()
  return cache
}

// Node counterparts of moka_py_bench.py's cases: each returns a function
// doing OPS operations. Needles are equal to the stored keys but separate
// string objects, like the Python side's; long keys are built by
// concatenation, as application code builds them.
function makeCases(policy) {
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
        const cache = prefilled(stored, policy)
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
    const cache = new Moka({ maxCapacity: CAPACITY, policy })
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
    const cache = new Moka({ maxCapacity: CAPACITY, policy })
    cache.set('hot', 'value')
    return () => {
      for (let i = 0; i < OPS; i++) cache.set('hot', 'value')
    }
  }
  const init = () => 5
  cases.get_with_hit = () => {
    const cache = new Moka({ maxCapacity: CAPACITY, policy })
    cache.getWith('hello', init)
    return () => {
      for (let i = 0; i < OPS; i++) cache.getWith('hello', init)
    }
  }
  cases.get_with_miss = () => {
    const cache = new Moka({ maxCapacity: CAPACITY, policy })
    let key = 0
    return () => {
      for (let i = 0; i < OPS; i++) cache.getWith(key++, init)
    }
  }
  cases.remove_hit = () => {
    const cache = new Moka({ maxCapacity: CAPACITY, policy })
    return () => {
      for (let i = 0; i < OPS; i++) {
        cache.set(1, 1)
        cache.remove(1)
      }
    }
  }
  cases.remove_miss = () => {
    const cache = new Moka({ maxCapacity: CAPACITY, policy })
    const needle = fresh(999_999)
    return () => {
      for (let i = 0; i < OPS; i++) cache.remove(needle)
    }
  }
  return cases
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

async function runNode() {
  const byPolicy = Object.fromEntries(POLICIES.map((p) => [p.js, makeCases(p.js)]))
  const names = Object.keys(byPolicy.tinyLfu)
  const results = {}
  for (const name of names) {
    const runs = POLICIES.map((p) => ({ policy: p.js, run: byPolicy[p.js][name]() }))
    const samples = Object.fromEntries(runs.map((r) => [r.policy, []]))
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...runs].reverse() : runs
      await b.suite(
        `moka-js ${name}`,
        ...order.map((r) => b.add(r.policy, () => () => r.run())),
        b.configure({ cases: timing }),
        b.cycle((res) => {
          samples[res.name].push(...res.details.sampleResults)
        }),
      )
    }
    results[name] = {}
    for (const r of runs) {
      const s = samples[r.policy]
      results[name][r.policy] = {
        ns_median: (median(s) * 1e9) / OPS,
        ns_min: (Math.min(...s) * 1e9) / OPS,
        check: r.run.check?.() ?? null,
      }
    }
  }
  // The loop's own cost, for comparison with the Python loop overhead.
  const pool = needlePool((i) => i, 0)
  let sink = 0
  let p = 0
  let overhead = null
  await b.suite(
    'empty loop',
    b.add('loop', () => () => {
      for (let i = 0; i < OPS; i++) {
        sink += pool[p]
        if (++p === NEEDLE_POOL) p = 0
      }
    }),
    b.configure({ cases: timing }),
    b.cycle((res) => {
      overhead = (res.details.median * 1e9) / OPS
    }),
  )
  return { results, loopOverheadNs: overhead, sink: sink & 0 }
}

async function main() {
  const env = environment(['benny'])
  console.log(`moka-js vs moka-py — ${env.profile} profile — node ${env.node}, moka ${env.versions.moka}`)
  console.log('Python side first (perf_counter_ns loops), then Node (benny), in this one run.\n')
  const py = runPython()
  if (py.error) console.log(`moka-py NOT measured: ${py.error}\n`)
  else console.log(`moka-py ${py.moka_py} on ${py.implementation} ${py.python}: ${py.repeats} loops of ${py.n.toLocaleString('en-US')} ops per case\n`)
  const js = await runNode()

  const header = ['case', 'moka-py tiny_lfu', 'moka-js tinyLfu', 'js/py', 'moka-py lru', 'moka-js lru', 'js/py ']
  const rows = []
  const cases = []
  for (const name of Object.keys(js.results)) {
    const row = [name]
    const record = { case: name }
    for (const p of POLICIES) {
      const pyNs = py.results?.[name]?.[p.py]?.ns_median ?? null
      const jsNs = js.results[name][p.js].ns_median
      const ratio = pyNs ? jsNs / pyNs : null
      row.push(fmt.ns(pyNs), fmt.ns(jsNs), fmt.ratio(ratio))
      record[p.js] = { mokaPyNs: pyNs, mokaJsNs: +jsNs.toFixed(2), jsOverPy: ratio && +ratio.toFixed(3), check: js.results[name][p.js].check }
    }
    rows.push(row)
    cases.push(record)
  }
  rows.push(['(loop alone)', fmt.ns(py.loop_overhead_ns), fmt.ns(js.loopOverheadNs), null, null, null, null])
  printTable(header, rows, 'ns/op (median); js/py < 1 means moka-js is faster')
  const failed = cases.filter((c) => POLICIES.some((p) => c[p.js].check?.startsWith('UNEXPECTED')))
  console.log(failed.length ? `\nCHECKS FAILED: ${failed.map((c) => c.case).join(', ')}` : '\nchecks: every get hit/miss went as expected')
  writeResult('moka-py', {
    suite: 'moka-py',
    ...env,
    python: py.error ? { error: py.error } : { mokaPy: py.moka_py, python: py.python, implementation: py.implementation, n: py.n, repeats: py.repeats, loopOverheadNs: py.loop_overhead_ns },
    method: {
      matrix: "moka-py's tests/test_benches.py (tuple-key cases left out), capacity 10,000, needle pool of 100",
      python: 'time.perf_counter_ns around loops of n ops, median of repeats, GC off while timing, PYTHONHASHSEED=0',
      node: `benny, ${OPS} ops per call, ${ROUNDS} rounds in alternating order, median of all samples`,
      timing,
    },
    cases,
    loopOverheadNs: { python: py.loop_overhead_ns ?? null, node: js.loopOverheadNs },
    raw: { python: py.error ? null : py.results, node: js.results },
    markdown: markdownTable(header, rows),
  })
  if (failed.length) process.exitCode = 1
}

await main()
