// What every suite does around its measurements: print what is measured
// where, probe the machine's memory latency at the start and at the end,
// print the tables, write the JSON and the chart, and exit non-zero when a
// check failed.
import { QUICK, UNTIMED, UPDATE, environment, printTable, writeResult } from './common.mjs'
import { describeProbe, probeMemory, probeVerdict } from './probe.mjs'
import { tablesOf } from './tables.mjs'
import { chartOf } from './charts.mjs'

/**
 * Runs `measure(env)` between two probes. It returns { data, problems }:
 * data is merged into the result file; problems (strings) make the run fail
 * after the result is written. `partial`: the run is restricted to some
 * cases. The figures of a timed suite (not in UNTIMED) are skewed by a
 * degraded machine, so `--update` does not take them from such a run.
 */
export async function runSuite(suite, { peers = [], title, describe = [], partial = false }, measure) {
  const timed = !UNTIMED.has(suite)
  if (UPDATE && (partial || QUICK)) {
    throw new Error(`--update takes complete full-profile runs only: a ${partial ? 'partial' : 'quick'} ${suite} result must not replace the reference one`)
  }
  const env = environment(peers)
  console.log(`${title} — ${env.profile} profile — node ${env.node}, moka ${env.versions.moka}, ${env.machine.cpus} × ${env.machine.model}, load ${env.machine.loadavg.join(' ')}`)
  for (const line of describe) console.log(line)
  const start = probeMemory({ lscpu: env.machine.lscpu })
  console.log(describeProbe(start, 'start'))
  console.log()
  const { data, problems = [] } = await measure(env)
  const end = probeMemory({ lscpu: env.machine.lscpu })
  const probe = { start, end, verdict: probeVerdict({ start, end }) }
  const result = { suite, ...env, timed, probe, ...data, problems }
  for (const t of tablesOf(result)) printTable(t.header, t.rows, t.title)
  console.log()
  console.log(describeProbe(start, 'start'))
  console.log(describeProbe(end, 'end'))
  console.log(problems.length ? `CHECKS FAILED:\n  ${problems.join('\n  ')}` : 'checks: all held')
  const refused = UPDATE && timed && probe.verdict === 'degraded'
  writeResult(suite, result, { partial, svg: chartOf(result), local: refused })
  if (refused) console.log('NOT UPDATED: the reference results keep timings from runs whose probe was normal; this one went to benchmark/results/local/')
  if (problems.length || refused) process.exitCode = 1
  return result
}
