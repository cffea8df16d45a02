// Which thread loads the addon first, and what happens when it goes away.
//
// A worker pool (piscina, workerpool, a bundler's or a test runner's workers)
// loads the addon only in workers, and its workers come and go. Each scenario
// of scripts/load-order.js runs in a fresh process, so that the thread it
// names really is the first to load the addon; a native crash there kills the
// process with a signal. The allocator's per-thread state once crashed the
// second worker to load the addon after the first had exited
// (src/allocator.rs).

import { spawnSync } from 'node:child_process'
import { join } from 'node:path'

import test from 'ava'

import { PACKAGE } from './_helpers'

const SCRIPT = join(PACKAGE, 'scripts', 'load-order.js')

function scenario(name: string, timeout = 60_000, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [SCRIPT, name], { encoding: 'utf8', timeout, env: { ...process.env, ...env } })
}

const SCENARIOS: Array<[string, RegExp]> = [
  ['worker-exits', /worker 5 \(exit\): ok/],
  ['worker-terminated', /worker 5 \(terminate\): ok/],
  ['workers-together', /round 1: 4 workers at once: ok/],
  ['main-after-workers', /main thread after workers: ok/],
  ['shared', /shared across workers and the main thread: ok/],
  ['loaded-twice', /loaded twice in one thread, the main thread \(.*\) and a worker \(.*\): ok/],
]

for (const [name, step] of SCENARIOS) {
  test(`first loaded by a worker: ${name}`, (t) => {
    const r = scenario(name)
    t.is(r.signal, null, `killed by ${r.signal}: ${r.stderr}`)
    t.is(r.status, 0, r.stderr)
    t.regex(r.stdout, step)
    t.regex(r.stdout, new RegExp(`^ok ${name}$`, 'm'))
  })
}

test('a piscina pool of 4 workers made and destroyed 60 times, each task using Moka, cached and SharedMoka', (t) => {
  const r = scenario('pool', 180_000, { POOL_ROUNDS: '60' })
  t.is(r.signal, null, `killed by ${r.signal}: ${r.stderr}`)
  t.is(r.status, 0, r.stderr)
  t.regex(r.stdout, /^pool: 60 pools of 4 workers, 480 tasks: ok$/m)
})

test('an unknown scenario is refused, so the names above are the ones that ran', (t) => {
  const r = scenario('no-such-scenario')
  t.is(r.status, 2)
  t.regex(r.stderr, /usage: node scripts\/load-order\.js <worker-exits\|/)
})
