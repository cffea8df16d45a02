// Shared helpers for the benchmark suites: options, environment facts,
// result files, tables, seeded randomness.
import { createRequire } from 'node:module'
import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
export const ROOT = dirname(BENCH_DIR)
export const RESULTS_DIR = join(BENCH_DIR, 'results')
/** The suites, in the order benchmark/index.mjs runs them; each is benchmark/<suite>.mjs. */
export const SUITES = ['latency', 'moka-py', 'hit-ratio', 'memory', 'fetch-replay', 'cached', 'shared-workers', 'shared-memory']
/**
 * Suites benchmark/index.mjs does not run (they need valgrind); a committed
 * result of theirs is published with the tables of another suite.
 */
export const OPTIONAL_SUITES = ['instructions']
/** Suites whose figures are not timings (the machine's state does not move them). */
export const UNTIMED = new Set(['hit-ratio', 'instructions'])

/** `--quick` selects the CI-sized profile. */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
export const PROFILE = QUICK ? 'quick' : 'full'

/** The value of `--name=value`, or `fallback`. */
export function option(name, fallback) {
  const prefix = `--${name}=`
  const arg = process.argv.find((a) => a.startsWith(prefix))
  return arg === undefined ? fallback : arg.slice(prefix.length)
}

/**
 * The comma-separated list `--name=a,b` restricting a run to some of `known`
 * (undefined without the option); an unknown name is a RangeError.
 */
export function selection(name, known) {
  const picked = option(name, null)?.split(',')
  const unknown = picked?.filter((x) => !known.includes(x)) ?? []
  if (unknown.length) throw new RangeError(`--${name}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})`)
  return picked
}

/** Version of an installed package, read from its package.json. */
export function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return null
  }
}

/** The moka crate's version, as the addon reports it (null when this build does not). */
export function mokaVersion() {
  try {
    return require(join(ROOT, 'binding.js')).mokaVersion()
  } catch {
    return null
  }
}

/** Which build was measured: the addon file's hash and time, and the checked-out commit. */
export function build() {
  const file = readdirSync(ROOT).find((f) => f.endsWith('.node'))
  let commit = null
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {}
  if (!file || !existsSync(join(ROOT, file))) return { addon: null, commit }
  const bytes = readFileSync(join(ROOT, file))
  return {
    addon: file,
    addonSha256: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    addonBuilt: statSync(join(ROOT, file)).mtime.toISOString(),
    commit,
  }
}

function lscpu() {
  try {
    return execFileSync('lscpu', [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((l) => /^(Architecture|CPU\(s\)|Model name|Thread|Core|Socket|L2|L3|Hypervisor)/.test(l))
      .map((l) => l.replace(/\s{2,}/g, ' ').trim())
  } catch {
    return null
  }
}

/** Facts about the run that belong in every result file. */
export function environment(peers = []) {
  const cpus = os.cpus()
  const versions = { 'moka-js': JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version, moka: mokaVersion() }
  for (const p of peers) versions[p] = packageVersion(p)
  return {
    date: new Date().toISOString(),
    profile: PROFILE,
    node: process.version,
    v8: process.versions.v8,
    versions,
    build: build(),
    machine: {
      cpus: cpus.length,
      model: cpus[0]?.model ?? 'unknown',
      mhz: cpus[0]?.speed ?? null,
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      totalMemoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      availableParallelism: os.availableParallelism?.() ?? cpus.length,
      lscpu: lscpu(),
      loadavg: os.loadavg().map((x) => +x.toFixed(2)),
    },
  }
}

/**
 * Where a run writes. The committed reference results in benchmark/results/
 * (the README's tables come from them) change only with `--update`; any
 * other run writes to benchmark/results/local/ (git-ignored).
 */
export const UPDATE = process.argv.includes('--update')
export const LOCAL_DIR = join(RESULTS_DIR, 'local')
export const OUT_DIR = UPDATE ? RESULTS_DIR : LOCAL_DIR

/**
 * Writes the suite's JSON (and its chart, when given) as
 * <suite>[.quick][.partial].json/.svg: to OUT_DIR, or to LOCAL_DIR when
 * `local` (a result that must not become a reference). A run restricted to
 * some cases (`partial`) never replaces a complete result: `--update`
 * refuses it. Each file is written beside its target and renamed over it,
 * so an interrupted run leaves the previous result whole.
 */
export function writeResult(suite, data, { partial = false, svg = null, local = false } = {}) {
  if (partial && UPDATE) throw new Error(`--update refuses a run restricted to some cases: it would replace the complete ${suite} result with a partial one`)
  const dir = local ? LOCAL_DIR : OUT_DIR
  mkdirSync(dir, { recursive: true })
  const base = join(dir, `${suite}${QUICK ? '.quick' : ''}${partial ? '.partial' : ''}`)
  const replace = (file, text) => {
    writeFileSync(`${file}.tmp`, text)
    renameSync(`${file}.tmp`, file)
    console.log(`wrote ${relative(ROOT, file)}`)
  }
  if (svg) data = { ...data, chart: relative(ROOT, `${base}.svg`) }
  const json = JSON.stringify(data, null, 2) + '\n'
  if (svg) replace(`${base}.svg`, svg)
  replace(`${base}.json`, json)
}

/** Columns (after the first) whose cells all start with a number or are empty: right-aligned. */
function numericColumns(header, rows) {
  return header.map((_, i) => i > 0 && rows.every((r) => r[i] === null || r[i] === undefined || /^[-+]?[\d.,]|^-$/.test(String(r[i]))))
}

/** Prints rows (arrays of cells) as an aligned text table; numbers right-aligned. */
export function printTable(header, rows, title) {
  if (title) console.log(`\n${title}`)
  const cells = [header, ...rows].map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))))
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const numeric = numericColumns(header, rows)
  const line = (r) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')
  console.log(line(cells[0]))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of cells.slice(1)) console.log(line(r))
}

/** Markdown version of the same table (for the README). */
export function markdownTable(header, rows) {
  const esc = (c) => (c === null || c === undefined ? '-' : String(c))
  const numeric = numericColumns(header, rows)
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (numeric[i] ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

/** Small, fast, seeded PRNG (mulberry32): floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `length` uniform random integers in [0, n) from a seeded PRNG. */
export function randomIndices(n, length, seed) {
  const next = rng(seed)
  const out = new Uint32Array(length)
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * n)
  return out
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function permutation(n, seed) {
  const next = rng(seed)
  const p = new Uint32Array(n)
  for (let i = 0; i < n; i++) p[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    const t = p[i]
    p[i] = p[j]
    p[j] = t
  }
  return p
}

export const fmt = {
  // Cells read `-` when a figure is missing.
  ns: (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : x < 10 ? x.toFixed(1) : Math.round(x).toLocaleString('en-US')),
  ratio: (x) => (x === null || x === undefined || !Number.isFinite(x) ? null : `${x < 10 ? x.toFixed(2) : x.toFixed(1)}x`),
  pct: (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? null : x.toFixed(d)),
  int: (x) => Math.round(x).toLocaleString('en-US'),
  /** `median (min–max)` of a spread, each part formatted by `f`. */
  range: (s, f) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : null),
  /** A ratio spread: `2.10x (1.95–2.30)`. */
  ratioRange: (s) => (s ? `${fmt.ratio(s.median)} (${fmt.ratio(s.min).slice(0, -1)}–${fmt.ratio(s.max).slice(0, -1)})` : null),
}

/**
 * Makes sure `global.gc` exists: re-runs the current script under
 * `node --expose-gc` (same arguments, same terminal) when it does not.
 * Returns false in the parent, which should then stop.
 */
export async function ensureGc(extraFlags = []) {
  if (typeof globalThis.gc === 'function') return true
  const { spawnSync } = await import('node:child_process')
  const r = spawnSync(process.execPath, ['--expose-gc', ...extraFlags, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' })
  process.exitCode = r.status ?? 1
  return false
}

/** Full collections until the heap settles (promotes and compacts what survives). */
export function settle() {
  if (typeof globalThis.gc !== 'function') return
  for (let i = 0; i < 3; i++) globalThis.gc()
}
