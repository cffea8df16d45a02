// Runs every benchmark suite, one child process each, in order.
//
//   node benchmark/index.mjs [--quick] [--update] [--only=latency,hit-ratio] [--build]
//
// `--build` (what `npm run bench` and `npm run bench:quick` pass) first runs
// `npm run build`, and meanwhile prepares moka-py's virtualenv when the
// moka-py suite is to run: pip mostly waits on the network while cargo
// compiles. (The TypeScript compiler, run beside cargo too, slowed cargo by
// more than it took alone, on 2 cores.)
//
// Each suite prints a line per case as it is measured, then its tables, and
// writes <suite>[.quick].json and .svg to benchmark/results/local/ (git-
// ignored), or to benchmark/results/ with --update (the reference results
// the README's tables are generated from: then run `node benchmark/report.mjs --write`).
// Every complete run whose checks held is published, whatever the
// memory-latency probe read: the suites record it per round beside ratios
// taken within each round.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, QUICK, ROOT, SUITES, UPDATE, selection } from './lib/common.mjs'

const only = selection('only', SUITES)

/** Runs a command in the repository, output to the terminal; resolves to its exit status. */
async function started(command, args) {
  const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' })
  const [code, signal] = await once(child, 'exit')
  return code ?? signal
}

if (process.argv.includes('--build')) {
  // Its status is not needed: the moka-py suite checks the virtualenv again and says why it is not usable.
  const python = !only || only.includes('moka-py') ? started(process.execPath, [join(BENCH_DIR, 'lib', 'python.mjs')]) : null
  const build = await started('npm', ['run', 'build'])
  await python
  if (build !== 0) {
    console.error(`npm run build failed (exit ${build})`)
    process.exit(1)
  }
}

if (!existsSync(join(ROOT, 'lib', 'index.js')) || !existsSync(join(ROOT, 'binding.js'))) {
  console.error('moka-js is not built: run `npm run build` first (or `npm run bench`, which builds)')
  process.exit(1)
}

const summary = []
const t0 = Date.now()
for (const name of SUITES) {
  if (only && !only.includes(name)) continue
  console.log(`\n${'='.repeat(78)}\n${name}${QUICK ? ' (quick)' : ''}\n${'='.repeat(78)}`)
  const t = Date.now()
  const args = ['--expose-gc', join(BENCH_DIR, `${name}.mjs`), ...(QUICK ? ['--quick'] : []), ...(UPDATE ? ['--update'] : [])]
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' })
  summary.push([name, `${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t) / 1000).toFixed(0)} s`])
  if (r.status !== 0) process.exitCode = 1
}
console.log(`\n${'='.repeat(78)}\nall suites in ${((Date.now() - t0) / 1000).toFixed(0)} s`)
for (const [name, status] of summary) console.log(`  ${name.padEnd(14)} ${status}`)
