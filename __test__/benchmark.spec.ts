// The benchmark suite's own machinery: the statistics of interleaved rounds,
// the memory-latency probe's verdict, the traces as inputs, and the check
// that keeps the README's benchmark tables equal to the committed results.
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const root = join(__dirname, '..')
// The benchmark modules are plain ES modules without type declarations.
const lib = (name: string) => import(pathToFileURL(join(root, 'benchmark', 'lib', `${name}.mjs`)).href)
const rounds = () => lib('rounds')
const probe = () => lib('probe')
const workloads = () => lib('workloads')

test('spread is the median and range; ratios are taken within each round', async (t) => {
  const { spread, ratioSpread } = await rounds()
  t.deepEqual(spread([5, 1, 3]), { median: 3, min: 1, max: 5 })
  t.deepEqual(spread([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 })
  // Round 2 is slow for both: the ratio stays 2.
  t.deepEqual(ratioSpread([20, 200, 22], [10, 100, 11]), { median: 2, min: 2, max: 2 })
})

test('interleave takes one figure per contender per round, in rotating order', async (t) => {
  const { interleave } = await rounds()
  const calls: string[] = []
  const contender = (name: string, ns: number) => ({ name, sample: () => (calls.push(name), ns) })
  const perRound = await interleave([contender('a', 1), contender('b', 2), contender('c', 3)], 3)
  t.deepEqual([...perRound], [['a', [1, 1, 1]], ['b', [2, 2, 2]], ['c', [3, 3, 3]]])
  t.deepEqual(calls, ['a', 'b', 'c', 'a', 'c', 'b', 'c', 'a', 'b'])
})

test('the probe says degraded when a 4 MiB load costs what DRAM does', async (t) => {
  const { judge } = await probe()
  const l3 = ['L3 cache: 32 MiB (1 instance)']
  const loads = (...ns: number[]) => ['256 KiB', '4 MiB', '64 MiB'].map((workingSet, i) => ({ workingSet, nsPerLoad: ns[i] }))
  t.is(judge(loads(4.5, 13, 120), l3).verdict, 'normal')
  t.is(judge(loads(4.5, 163, 177), l3).verdict, 'degraded')
  t.is(judge(loads(4.5, 60, 900), l3).verdict, 'degraded')
  t.is(judge(loads(4.5, 40, 100), l3).verdict, 'degraded')
  t.is(judge(loads(4.5, 13, 120), ['L3 cache: 4 MiB']).verdict, 'inconclusive')
  t.is(judge(loads(4.5, 13, 120), null).verdict, 'inconclusive')
})

test('every trace of the traces README is in the repository; a missing one is named', async (t) => {
  const { traceTable, loadTrace } = await workloads()
  const traces = traceTable()
  t.deepEqual(traces.map((x: { name: string }) => x.name), ['oltp', 'loop', 'gli', 'sprite', 'multi2', 'web12', 'corda', 'scarab'])
  t.is(loadTrace('gli').length, 6015)
  t.throws(() => loadTrace('absent'), { message: /benchmark\/traces\/absent\.trace\.gz/ })
})

test('bench:check passes on the README and fails on a stale copy, naming the block', (t) => {
  const report = join(root, 'benchmark', 'report.mjs')
  t.regex(execFileSync(process.execPath, [report, '--check'], { cwd: root, encoding: 'utf8' }), /agrees/)
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  // A figure edited by hand in the hit-ratio block: the first cell of its first table row.
  const stale = readme.replace(/(<!-- bench:hit-ratio -->[\s\S]*?\n\| [^|]+\| )([\d.]+)/, (_, head, cell) => `${head}${cell}1`)
  t.not(stale, readme)
  const copy = join(mkdtempSync(join(tmpdir(), 'moka-bench-')), 'README.md')
  writeFileSync(copy, stale)
  const r = spawnSync(process.execPath, [report, '--check', `--readme=${copy}`], { cwd: root, encoding: 'utf8' })
  t.is(r.status, 1)
  t.regex(r.stderr, /disagrees with benchmark\/results\/ in bench:hit-ratio/)
})
