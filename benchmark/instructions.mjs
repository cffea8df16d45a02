// Instructions per operation, counted by valgrind's callgrind, for moka-js and
// moka-py doing the same operations on the same keys (and, with
// `--baseline=DIR`, another build of moka-js). A count does not depend on
// what else the machine is doing, which a timing on a shared machine does: it
// shows what each binding asks of the CPU, not what cache misses cost.
//
//   node benchmark/instructions.mjs [--cases=get hit,set evicting] [--sides=moka-js,moka-py] [--repeats=2] [--baseline=DIR]
//
// Each figure is (I(long) − I(short)) / (ops of the long run − ops of the
// short one): two runs of one process, 1 and MAX_REPS batches after the same
// WARMUP batches, so start-up, JIT warm-up and setup cancel out. moka's
// hasher is seeded at random per process, so repeated runs differ a little:
// `--repeats` runs show the range.
import { execFileSync, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { BENCH_DIR, ROOT, option, selection } from './lib/common.mjs'
import { CAPACITY, CASES, MAX_REPS, OPS, WARMUP } from './lib/instructions-cases.mjs'
import { PYTHON, preparePython } from './lib/python.mjs'
import { spread } from './lib/rounds.mjs'

const cases = selection('cases', CASES) ?? CASES
const repeats = Number(option('repeats', '2'))
const baseline = option('baseline', undefined)

/** The command of each side, given the case and the number of batches. */
const allSides = {
  'moka-js': (kase, reps) => ['node', '--single-threaded', join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), ROOT],
  ...(baseline && { 'moka-js (baseline build)': (kase, reps) => ['node', '--single-threaded', join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), baseline] }),
  'moka-py': (kase, reps) => [PYTHON, join(BENCH_DIR, 'instructions_worker.py'), kase, String(reps), String(CAPACITY), String(OPS), String(MAX_REPS), String(WARMUP)],
}

const chosen = selection('sides', Object.keys(allSides)) ?? Object.keys(allSides)
const sides = Object.fromEntries(chosen.map((name) => [name, allSides[name]]))

function instructions(command) {
  const run = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', ...command], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const collected = run.stderr.match(/Collected : (\d+)/)
  if (run.status !== 0 || !collected) throw new Error(`${command.join(' ')} under callgrind failed (status ${run.status}):\n${run.stderr.split('\n').slice(-8).join('\n')}`)
  return Number(collected[1])
}

try {
  execFileSync('valgrind', ['--version'])
} catch {
  throw new Error('valgrind is required (Debian: apt-get install valgrind)')
}
if (sides['moka-py']) preparePython()
console.log(`instructions per operation (callgrind), capacity ${CAPACITY.toLocaleString('en-US')}, string keys; (${MAX_REPS} − 1) × ${OPS.toLocaleString('en-US')} operations per figure, ${repeats} runs`)
const names = Object.keys(sides)
const ratio = names.includes('moka-js') && names.includes('moka-py')
console.log(['case', ...names, ...(ratio ? ['js/py'] : [])].join(' | '))
for (const kase of cases) {
  const figures = Object.fromEntries(names.map((n) => [n, []]))
  for (let r = 0; r < repeats; r++) {
    for (const name of names) {
      const short = instructions(sides[name](kase, 1))
      const long = instructions(sides[name](kase, MAX_REPS))
      figures[name].push((long - short) / ((MAX_REPS - 1) * OPS))
    }
  }
  const spreads = Object.fromEntries(names.map((n) => [n, spread(figures[n])]))
  const cells = names.map((n) => `${Math.round(spreads[n].median).toLocaleString('en-US')} (${Math.round(spreads[n].min)}–${Math.round(spreads[n].max)})`)
  if (ratio) cells.push((spreads['moka-js'].median / spreads['moka-py'].median).toFixed(2))
  console.log([kase, ...cells].join(' | '))
}
