// Instructions per operation, counted by valgrind's callgrind, for moka-js and
// moka-py doing the same operations on the same keys (and, with
// `--baseline=DIR`, another build of moka-js). A count does not depend on
// what else the machine is doing, which a timing on a shared machine does: it
// shows what each binding asks of the CPU, not what cache misses cost.
//
//   node benchmark/instructions.mjs [--update] [--cases=get hit,set evicting] [--sides=moka-js,moka-js Node-API,moka-py,lru-cache,moka-js adaptive,moka-js adaptive Node-API,moka-js listener Node-API,moka-js adaptive listener Node-API] [--repeats=2] [--baseline=DIR]
//
// `moka-js` runs with the accelerator where one is built for this Node
// (ts/core/fast.ts); `moka-js Node-API` is the same build with it off.
//
// Writes results/local/instructions.json, or with --update (every case, both
// sides, no baseline) results/instructions.json, whose figures the moka-py
// tables publish. `--cases=remove hit` (lib/instructions-cases.mjs ON_REQUEST)
// counts a remove hit and the set that puts the key back, `--cases=get hit
// long,get miss long` reads with long string keys; such a run is partial: it
// never replaces the published result.
//
// Each figure is (I(long) − I(short)) / (ops of the long run − ops of the
// short one): two runs of one process, 1 and MAX_REPS batches after the same
// WARMUP batches, so start-up, JIT warm-up and setup cancel out. moka's
// hasher is seeded at random per process, so repeated runs differ a little:
// `--repeats` runs show the range.
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { instructions, NODE } from './lib/callgrind.mjs'
import { BENCH_DIR, ROOT, option, selection } from './lib/common.mjs'
import { CAPACITY, CASES, MAX_REPS, ON_REQUEST, OPS, WARMUP } from './lib/instructions-cases.mjs'
import { PYTHON, preparePython } from './lib/python.mjs'
import { spread } from './lib/rounds.mjs'
import { runSuite } from './lib/suite.mjs'

const cases = selection('cases', [...CASES, ...ON_REQUEST]) ?? CASES
const repeats = Number(option('repeats', '2'))
const baseline = option('baseline', undefined)

/** The command of each side, given the case and the number of batches. */
const allSides = {
  'moka-js': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT],
  // The same build with the accelerator off (MOKA_JS_FAST=0, below): every call through Node-API.
  'moka-js Node-API': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT],
  // policy: 'adaptive' on the same build: what watching the workload costs.
  'moka-js adaptive': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT, 'adaptive'],
  // The same with the accelerator off, beside `moka-js Node-API`.
  'moka-js adaptive Node-API': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT, 'adaptive'],
  // Both with an `evictionListener` (moka's listener, and its per-key lock on writes), accelerator off.
  'moka-js listener Node-API': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT, 'tinyLfu+listener'],
  'moka-js adaptive listener Node-API': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT, 'adaptive+listener'],
  ...(baseline && { 'moka-js (baseline build)': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), baseline] }),
  // A pure-JS cache through the same worker: what a call into JS alone costs.
  'lru-cache': (kase, reps) => [...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT, 'lru-cache'],
  'moka-py': (kase, reps) => [PYTHON, join(BENCH_DIR, 'instructions_worker.py'), kase, String(reps), String(CAPACITY), String(OPS), String(MAX_REPS), String(WARMUP)],
}

/** Environment of a side's runs, beside the machine's. */
const nodeApi = { MOKA_JS_FAST: '0' }
const sideEnv = Object.fromEntries(['moka-js Node-API', 'moka-js adaptive Node-API', 'moka-js listener Node-API', 'moka-js adaptive listener Node-API'].map((side) => [side, nodeApi]))

const chosen = selection('sides', Object.keys(allSides)) ?? Object.keys(allSides)
const sides = Object.fromEntries(chosen.map((name) => [name, allSides[name]]))

try {
  execFileSync('valgrind', ['--version'])
} catch {
  throw new Error('valgrind is required (Debian: apt-get install valgrind)')
}
if (sides['moka-py']) preparePython()
const names = Object.keys(sides)

await runSuite(
  'instructions',
  {
    title: 'instructions per operation (callgrind)',
    describe: [`capacity ${CAPACITY.toLocaleString('en-US')}, string keys; (${MAX_REPS} − 1) × ${OPS.toLocaleString('en-US')} operations per figure, ${repeats} runs`],
    partial: !CASES.every((c) => cases.includes(c)) || cases.some((c) => ON_REQUEST.includes(c)) || names.length < Object.keys(allSides).length || baseline !== undefined,
  },
  async () => {
    const rows = []
    for (const kase of cases) {
      const figures = Object.fromEntries(names.map((n) => [n, []]))
      for (let r = 0; r < repeats; r++) {
        for (const name of names) {
          const short = instructions(sides[name](kase, 1), sideEnv[name])
          const long = instructions(sides[name](kase, MAX_REPS), sideEnv[name])
          figures[name].push((long - short) / ((MAX_REPS - 1) * OPS))
        }
      }
      const row = { case: kase, sides: Object.fromEntries(names.map((n) => [n, { ...spread(figures[n]), runs: figures[n] }])) }
      if (figures['moka-js'] && figures['moka-py']) row.jsOverPy = row.sides['moka-js'].median / row.sides['moka-py'].median
      console.log(`${kase}: ${names.map((n) => `${n} ${Math.round(row.sides[n].median).toLocaleString('en-US')}`).join(', ')}`)
      rows.push(row)
    }
    return {
      data: {
        method: {
          counter: 'setarch -R valgrind --tool=callgrind: instructions of the whole process, address-space randomization off; node --hash-seed=1 --random-seed=1, PYTHONHASHSEED=0',
          figure: `(I(${MAX_REPS} batches) − I(1 batch)) / ((${MAX_REPS} − 1) × ${OPS} operations), both runs after ${WARMUP} warm-up batches`,
          capacity: CAPACITY,
          repeats,
          sides: names,
          mokaJs: 'new Moka({ maxCapacity }) (tinyLfu), node --single-threaded',
          lruCache: 'new LRUCache({ max: capacity }), the same worker',
        },
        rows,
      },
    }
  },
)
