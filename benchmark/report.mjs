// Renders the result files in benchmark/results/ as Markdown (for the README).
//
//   node benchmark/report.mjs [--quick] > benchmarks.md
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { QUICK, RESULTS_DIR } from './lib/common.mjs'

const suffix = QUICK ? '.quick' : ''
const load = (suite) => {
  const file = join(RESULTS_DIR, `${suite}${suffix}.json`)
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null
}

const out = []
const say = (...lines) => out.push(...lines, '')
const latency = load('latency')
const mokaPy = load('moka-py')
const hit = load('hit-ratio')
const memory = load('memory')
const fetchReplay = load('fetch-replay')
const any = latency ?? mokaPy ?? hit ?? memory ?? fetchReplay
if (!any) {
  console.error(`no results in ${RESULTS_DIR} (profile ${QUICK ? 'quick' : 'full'})`)
  process.exit(1)
}

const m = any.machine
say(
  `Measured with Node ${any.node} (V8 ${any.v8}), moka ${any.versions.moka}, on ${m.cpus} vCPUs (${m.model}, ${m.lscpu?.find((l) => l.startsWith('L3')) ?? ''}, ${m.lscpu?.find((l) => l.startsWith('Hypervisor')) ?? ''}), ${m.totalMemoryGiB} GiB RAM, ${m.platform}.`,
  `Profile: ${any.profile}. The machine was shared while measuring (load average at the start of each suite is in its JSON), so compare the ratios measured in one run rather than absolute nanoseconds.`,
)
const peers = Object.entries({ ...latency?.versions, ...hit?.versions, ...memory?.versions }).filter(([k]) => !['moka-js', 'moka'].includes(k))
if (peers.length) say(`Peers: ${peers.map(([k, v]) => `${k} ${v}`).join(', ')}.`)

if (latency) {
  say('### Latency', `\`npm run bench:latency\` (${latency.method.rounds} rounds of benny samples, ${latency.method.opsPerCall} operations per sample call, median ns/op; ratio to lru-cache in the same run).`)
  say(latency.markdown)
  if (latency.memoryLatency) {
    say(`Memory latency of this machine (JS pointer chase over a shuffled cycle, no Rust involved): ${latency.memoryLatency.map((r) => `${r.workingSet}: ${r.nsPerLoad} ns`).join(', ')} per dependent load.`)
  }
}
if (mokaPy) {
  const py = mokaPy.python
  say('### moka-js and moka-py', `\`npm run bench:moka-py\`: moka-py's own benchmark matrix, ${py.error ? `Python side not measured (${py.error})` : `moka-py ${py.mokaPy} on ${py.implementation} ${py.python}`}, both in one run; ns/op, js/py < 1 means moka-js is faster.`)
  say(mokaPy.markdown)
}
if (hit) {
  say('### Hit ratio', '`npm run bench:hit-ratio`: replay (get; set on a miss), hit ratio in %; gap closed = (H − H_LRU) / (H_OPT − H_LRU).')
  say(hit.markdown)
  say(`Charts: ${hit.results.map((r) => `[${r.name}](${r.svg.replace(/^benchmark\//, '')})`).join(', ')}.`)
  if (hit.problems.length) say(`Mismatches: ${hit.problems.join('; ')}`)
}
if (memory) {
  say('### Memory and GC', `\`npm run bench:memory\`: ${memory.method.entries.toLocaleString('en-US')} entries, churn of ${memory.method.churnOps.toLocaleString('en-US')} operations (${memory.method.churn}); one child process per row.`)
  say(memory.markdown)
}
if (fetchReplay) {
  say('### Memoized async loader', `\`npm run bench:fetch-replay\`: ${fetchReplay.method.requests.toLocaleString('en-US')} requests per workload, ${fetchReplay.method.concurrency} concurrent callers, backend ${fetchReplay.method.backendMs} ms.`)
  say(fetchReplay.markdown)
}
process.stdout.write(out.join('\n'))
