// The benchmark suite's own machinery: the statistics of interleaved rounds,
// the memory-latency probe's verdict, the traces as inputs, and the check
// that keeps the README's benchmark tables equal to the committed results.
import test from 'ava'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
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
  const { perRound, probes } = await interleave([contender('a', 1), contender('b', 2), contender('c', 3)], 3)
  t.deepEqual([...perRound], [['a', [1, 1, 1]], ['b', [2, 2, 2]], ['c', [3, 3, 3]]])
  t.deepEqual(calls, ['a', 'b', 'c', 'a', 'c', 'b', 'c', 'a', 'b'])
  // One memory-latency probe per round, recorded with it.
  t.is(probes.length, 3)
  for (const p of probes) t.true(p.ns > 0 && ['normal', 'degraded'].includes(p.verdict))
})

test('the ratio over the rounds whose probe read normal is given beside the ratio over all, and flagged when the two sets disagree', async (t) => {
  const { ratioFigures } = await rounds()
  const normal = { verdict: 'normal' }
  const degraded = { verdict: 'degraded' }
  // Too few normal rounds: the ratio over all rounds alone.
  t.deepEqual(ratioFigures([2, 2, 2], [1, 1, 1], [normal, normal, degraded]), { ratio: { median: 2, min: 2, max: 2 }, normalRounds: 2 })
  // The degraded round moved the ratio: flagged.
  const moved = ratioFigures([2, 2, 2, 4], [1, 1, 1, 1], [normal, normal, normal, degraded])
  t.deepEqual(moved.ratioNormal, { median: 2, min: 2, max: 2 })
  t.true(moved.disagree)
  // Noise that landed on both contenders alike: the ratio holds, no flag.
  t.false(ratioFigures([2, 2, 2, 6], [1, 1, 1, 3], [normal, normal, normal, degraded]).disagree)
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

/** Copies of README.md and docs/*.md in a temporary directory: { readme, docs, fileOf(block) }. */
function publishedCopy() {
  const dir = mkdtempSync(join(tmpdir(), 'moka-bench-'))
  const docs = join(dir, 'docs')
  mkdirSync(docs)
  const readme = join(dir, 'README.md')
  copyFileSync(join(root, 'README.md'), readme)
  const docsDir = join(root, 'docs')
  for (const f of existsSync(docsDir) ? readdirSync(docsDir).filter((f) => f.endsWith('.md')) : []) copyFileSync(join(docsDir, f), join(docs, f))
  const files = [readme, ...readdirSync(docs).map((f) => join(docs, f))]
  const fileOf = (block: string) => files.find((f) => readFileSync(f, 'utf8').includes(`<!-- bench:${block} -->`))!
  return { readme, docs, fileOf }
}

test('bench:check passes on the published tables and fails on a stale copy, naming the block and its file', (t) => {
  const report = join(root, 'benchmark', 'report.mjs')
  t.regex(execFileSync(process.execPath, [report, '--check'], { cwd: root, encoding: 'utf8' }), /agree/)
  const { readme, docs, fileOf } = publishedCopy()
  const file = fileOf('hit-ratio')
  const text = readFileSync(file, 'utf8')
  // A figure edited by hand in the hit-ratio block: the first cell of its first table row.
  const stale = text.replace(/(<!-- bench:hit-ratio -->[\s\S]*?\n\| [^|]+\| )([\d.]+)/, (_, head, cell) => `${head}${cell}1`)
  t.not(stale, text)
  writeFileSync(file, stale)
  const r = spawnSync(process.execPath, [report, '--check', `--readme=${readme}`, `--docs=${docs}`], { cwd: root, encoding: 'utf8' })
  t.is(r.status, 1)
  t.regex(r.stderr, /disagree: bench:hit-ratio in /)
})

test('bench:check fails when a chart is not the one its JSON draws, and --write draws it again', (t) => {
  const report = join(root, 'benchmark', 'report.mjs')
  const results = join(root, 'benchmark', 'results')
  const charts = mkdtempSync(join(tmpdir(), 'moka-charts-'))
  for (const f of readdirSync(results).filter((f) => f.endsWith('.svg'))) copyFileSync(join(results, f), join(charts, f))
  const args = [report, '--check', `--charts=${charts}`]
  t.is(spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).status, 0)
  // A bar moved by hand in the latency chart.
  const file = join(charts, 'latency.svg')
  const drawn = readFileSync(file, 'utf8')
  writeFileSync(file, drawn.replace(/<rect x="([\d.]+)"/g, (_, x) => `<rect x="${Number(x) + 1}"`))
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  t.is(r.status, 1)
  t.regex(r.stderr, /disagree: .*latency\.svg/)
  execFileSync(process.execPath, [report, '--write', `--charts=${charts}`], { cwd: root })
  t.is(readFileSync(file, 'utf8'), drawn)
  t.is(spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).status, 0)
})

test('bench:check finds a block in docs/*.md as in README.md, and fails on a block found nowhere', (t) => {
  const report = join(root, 'benchmark', 'report.mjs')
  const { readme, docs, fileOf } = publishedCopy()
  // The hit-ratio block moved to (or from) docs/: --write finds it there, and then it agrees.
  const block = /\n<!-- bench:hit-ratio -->[\s\S]*?<!-- \/bench:hit-ratio -->\n/
  const from = fileOf('hit-ratio')
  const moved = readFileSync(from, 'utf8').match(block)![0]
  writeFileSync(from, readFileSync(from, 'utf8').replace(block, '\n'))
  const to = from === readme ? join(docs, 'moved.md') : readme
  writeFileSync(to, `${existsSync(to) ? readFileSync(to, 'utf8') : ''}${moved}`)
  const args = [report, '--check', `--readme=${readme}`, `--docs=${docs}`]
  execFileSync(process.execPath, [report, '--write', `--readme=${readme}`, `--docs=${docs}`], { cwd: root })
  t.regex(readFileSync(to, 'utf8'), /<!-- bench:hit-ratio -->/)
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  t.is(r.status, 0, r.stderr)
  // Removed altogether: an error naming it.
  writeFileSync(to, readFileSync(to, 'utf8').replace(block, '\n'))
  const gone = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' })
  t.is(gone.status, 1)
  t.regex(gone.stderr, /no block for bench:hit-ratio/)
})

test('a compiled loop runs its body opsPerCall times per call, keeps its locals from call to call, and reset() clears them', async (t) => {
  const { compileLoop } = await lib('loops')
  const seen: number[] = []
  const round = { offset: 100 }
  const loop = compileLoop('record(pos + offset); pos++; if (pos % 2) miss++', { record: (x: number) => seen.push(x), round }, 3, 'test', { prologue: 'const offset = round.offset' })
  loop.run()
  round.offset = 200
  loop.run()
  t.deepEqual(seen, [100, 101, 102, 203, 204, 205])
  t.is(loop.misses(), 3)
  loop.reset()
  t.is(loop.misses(), 0)
})

test('repeatability: every published ratio of two runs side by side, run 2 judged against run 1 range', (t) => {
  const latency = (moka: { median: number; min: number; max: number }) => ({
    suite: 'latency',
    date: '2026-12-04T20:00:00.000Z',
    method: { baseline: 'lru-cache' },
    suites: [{ id: 'get-hit', keys: 10000, rows: [{ cache: 'moka-js tinyLfu', ratio: moka }, { cache: 'lru-cache', ratio: { median: 1, min: 1, max: 1 } }] }],
  })
  const dirs = [latency({ median: 3, min: 2, max: 4 }), latency({ median: 5, min: 4.5, max: 6 }), latency({ median: 3.9, min: 3, max: 5 })].map((r) => {
    const dir = mkdtempSync(join(tmpdir(), 'moka-run-'))
    writeFileSync(join(dir, 'latency.json'), JSON.stringify(r))
    return dir
  })
  const compare = (a: string, b: string) => execFileSync(process.execPath, [join(root, 'benchmark', 'repeatability.mjs'), `--first=${a}`, `--second=${b}`], { cwd: root, encoding: 'utf8' })
  const outside = compare(dirs[0], dirs[1])
  t.regex(outside, /\| latency \| get-hit @ 10,000: moka-js tinyLfu \| 3\.00x \(2\.00–4\.00\) \| 5\.00x \(4\.50–6\.00\) \| no \(1\.67x of run 1\) \|/)
  t.notRegex(outside, /: lru-cache \|/) // the baseline is 1× by definition
  t.regex(outside, /\| latency \| [^|]+ \| [^|]+ \| 1 \| 0 \(0 %\) \| 0 \|/)
  t.regex(compare(dirs[0], dirs[2]), /\| 3\.90x \(3\.00–5\.00\) \| yes \|/)
})

test("the JS-index prototype answers only for entries moka holds, with the last value set, and its index empties as moka does", async (t) => {
  const { IndexedMoka } = await import(pathToFileURL(join(root, 'benchmark', 'prototypes', 'indexed-moka.mjs')).href)
  const { loadTrace } = await workloads()
  const trace: Int32Array = loadTrace('gli')
  for (const settings of [{}, { batch: 64 }, { sample: 16 }, { sample: 4, sampleMisses: true }]) {
    const cache = new IndexedMoka({ maxCapacity: 250, ...settings })
    const last = new Map<number, number>()
    let hits = 0
    for (let i = 0; i < trace.length; i++) {
      const k = trace[i]
      const set = (): void => {
        cache.set(k, i)
        last.set(k, i)
      }
      const v = cache.get(k)
      if (v === undefined) {
        set()
        continue
      }
      hits++
      const held = cache.presentNatively(k)
      if (v !== last.get(k) || !held) return t.fail(`${JSON.stringify(settings)}: request ${i} (key ${k}) answered ${v}, last set ${last.get(k)}, held by moka: ${held}`)
      // Replacements and deletes move and drop keys too.
      if (i % 7 === 0) set()
      if (i % 11 === 0) cache.delete(k)
    }
    cache.flushReads()
    cache.runPendingTasks()
    t.true(hits > 0)
    t.is(cache.indexSize, cache.size, JSON.stringify(settings))
    cache.dispose()
  }
})
