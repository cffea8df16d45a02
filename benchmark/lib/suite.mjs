// What every suite does around its measurements: print what is measured
// where, probe the machine's memory latency at the start and at the end
// (the rounds take their own probes in between), print the tables, write
// the JSON and the chart, and exit non-zero when a check failed.
import { QUICK, UNTIMED, UPDATE, environment, printTable, writeResult } from './common.mjs'
import { describeProbe, probeMemory, probeVerdict } from './probe.mjs'
import { probeSummary } from './rounds.mjs'
import { tablesOf } from './tables.mjs'
import { chartOf } from './charts.mjs'

/**
 * Runs `measure(env)` between two probes. It returns { data, problems }:
 * data is merged into the result file; problems (strings) make the run fail
 * after the result is written. `partial`: the run is restricted to some
 * cases. The probe is recorded, never a gate: a complete run whose checks
 * held becomes the reference result with `--update` whatever it read; a run
 * whose checks failed goes to benchmark/results/local/ instead.
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
  // A suite whose rounds are not per case returns their probes as data.probes.
  const probe = { start, end, verdict: probeVerdict({ start, end }), ...(data.probes && { rounds: probeSummary(data.probes) }) }
  const result = { suite, ...env, timed, probe, ...data, problems }
  for (const t of tablesOf(result)) printTable(t.header, t.rows, t.title)
  console.log()
  console.log(describeProbe(start, 'start'))
  console.log(describeProbe(end, 'end'))
  console.log(problems.length ? `CHECKS FAILED:\n  ${problems.join('\n  ')}` : 'checks: all held')
  const failed = problems.length > 0
  writeResult(suite, result, { partial, svg: chartOf(result), local: failed })
  if (failed && UPDATE) console.log('NOT UPDATED: a run whose checks failed does not replace the reference result; this one went to benchmark/results/local/')
  if (failed) process.exitCode = 1
  return result
}
