// Runs every benchmark suite, one child process each, in order.
//
//   node benchmark/index.mjs [--quick] [--only=latency,hit-ratio]
//
// Each suite prints its own tables and writes benchmark/results/<suite>.json
// (<suite>.quick.json with --quick).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { BENCH_DIR, QUICK, ROOT, option } from './lib/common.mjs'

const require = createRequire(import.meta.url)
const hasCached = (() => {
  try {
    return typeof require(join(ROOT, 'index.js')).cached === 'function'
  } catch {
    return false
  }
})()

const SUITES = [
  { name: 'latency', file: 'latency.mjs', flags: ['--expose-gc'] },
  { name: 'moka-py', file: 'moka-py.mjs' },
  { name: 'hit-ratio', file: 'hit-ratio.mjs' },
  { name: 'memory', file: 'memory.mjs' },
  { name: 'fetch-replay', file: 'fetch-replay.mjs', skip: hasCached ? null : '`cached` is not exported by this build' },
  { name: 'cached', file: 'cached.mjs', flags: ['--expose-gc'], skip: hasCached ? null : '`cached` is not exported by this build' },
  { name: 'tiered', file: 'tiered.mjs', flags: ['--import=tsx'] },
]

const only = option('only', null)?.split(',')
const summary = []
const t0 = Date.now()
for (const suite of SUITES) {
  if (only && !only.includes(suite.name)) continue
  if (suite.skip || !existsSync(join(BENCH_DIR, suite.file))) {
    summary.push([suite.name, `skipped: ${suite.skip ?? 'missing'}`])
    continue
  }
  console.log(`\n${'='.repeat(78)}\n${suite.name}${QUICK ? ' (quick)' : ''}\n${'='.repeat(78)}`)
  const t = Date.now()
  const r = spawnSync(process.execPath, [...(suite.flags ?? []), join(BENCH_DIR, suite.file), ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' })
  summary.push([suite.name, r.status === 0 ? `ok in ${((Date.now() - t) / 1000).toFixed(0)} s` : `FAILED (exit ${r.status ?? r.signal})`])
  if (r.status !== 0) process.exitCode = 1
}
console.log(`\n${'='.repeat(78)}\nall suites in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
for (const [name, status] of summary) console.log(`  ${name.padEnd(14)} ${status}`)
