// Instructions per operation, for every case of benchmark/instructions.mjs,
// when calls go to 1, 8 or 64 caches in turn: what several caches cost over
// one, on reads and writes (benchmark/many-caches.mjs counts get hits and
// writes the reference result).
//
//   node benchmark/many-caches-cases.mjs [--caches=1,8,64] [--capacity=1000] [--cases=get hit,...] [--baseline=DIR]
//
// The cases and the figure are benchmark/instructions.mjs's, run by its
// worker: callgrind, fixed V8 seeds, ASLR off (setarch -R); the difference
// between a run of 1 and of MAX_REPS batches after the same warm-up, divided
// by the extra operations. Every cache holds the same `capacity` keys and
// operations go to the caches in turn, so each cache does the same work
// whatever their number. Instructions do not move with the machine's load.
// `--baseline=DIR` counts another build (a checkout with its addon built)
// in the same table.
import { join } from 'node:path'

import { instructions, NODE } from './lib/callgrind.mjs'
import { BENCH_DIR, ROOT, option, selection } from './lib/common.mjs'
import { CASES, MAX_REPS, OPS } from './lib/instructions-cases.mjs'

const counts = option('caches', '1,8,64').split(',').map(Number)
const capacity = option('capacity', '1000')
const cases = selection('cases', CASES) ?? CASES
const baseline = option('baseline', undefined)
const builds = { 'this build': ROOT, ...(baseline && { baseline }) }

const perOp = (dir, kase, n) => {
  const run = (reps) => instructions([...NODE, join(BENCH_DIR, 'lib', 'instructions-worker.mjs'), kase, String(reps), dir, 'tinyLfu', String(n), capacity])
  return (run(MAX_REPS) - run(1)) / ((MAX_REPS - 1) * OPS)
}

console.log(`| build | operation | ${counts.map((n) => `${n} cache${n === 1 ? '' : 's'}`).join(' | ')} |`)
console.log(`|---|---|${counts.map(() => '---:').join('|')}|`)
for (const kase of cases) {
  for (const [name, dir] of Object.entries(builds)) {
    const figures = counts.map((n) => Math.round(perOp(dir, kase, n)).toLocaleString('en-US'))
    console.log(`| ${name} | ${kase} | ${figures.join(' | ')} |`)
  }
}
