// Workloads shared by the replay suites: the traces in benchmark/traces/
// and synthetic Zipf request streams.

import { existsSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { BENCH_DIR, ROOT, permutation, rng } from './common.mjs'

export const TRACE_DIR = join(BENCH_DIR, 'traces')
const TRACE_README = join(TRACE_DIR, 'README.md')

/** Throws, naming the file, when a benchmark input is missing. */
function required(file) {
  if (!existsSync(file)) throw new Error(`benchmark input missing: ${relative(ROOT, file)} (the traces are part of the repository: restore benchmark/traces/)`)
  return file
}

/**
 * The traces and their reference hit ratios, from the table of
 * benchmark/traces/README.md: [{ name, caps, lru, opt }] in table order.
 * Every trace listed there must be present; it is loaded by name.
 */
export function traceTable() {
  const section = readFileSync(required(TRACE_README), 'utf8').split('## Reference hit ratios')[1] ?? ''
  const traces = []
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim())
    if (cells.length < 6 || !/^[a-z0-9]+$/.test(cells[1]) || cells[1] === 'trace') continue
    const caps = cells[2].split('/').map((c) => Number(c.trim()))
    const values = (cell) => {
      const every = cell.match(/^([\d.]+) at every size$/)
      if (every) return caps.map(() => Number(every[1]))
      return cell.split('/').map((c) => Number(c.trim()))
    }
    traces.push({ name: cells[1], caps, lru: values(cells[3]), opt: values(cells[4]) })
  }
  if (traces.length === 0) throw new Error(`no reference table found in ${relative(ROOT, TRACE_README)}`)
  // Every input is checked before anything is measured.
  for (const t of traces) required(traceFile(t.name))
  return traces
}

const traceFile = (name) => join(TRACE_DIR, `${name}.trace.gz`)

/** Parses benchmark/traces/<name>.trace.gz (gzip text, one non-negative integer per line). */
export function loadTrace(name, limit = Infinity) {
  const buf = gunzipSync(readFileSync(required(traceFile(name))))
  const out = new Int32Array(buf.length >> 1)
  let n = 0
  let v = 0
  let inNumber = false
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]
    if (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48)
      inNumber = true
    } else if (inNumber) {
      out[n++] = v
      v = 0
      inNumber = false
    }
  }
  if (inNumber) out[n++] = v
  return out.slice(0, Math.min(n, limit))
}

/** Zipf(s) over `items` ranks mapped to shuffled keys, from a seeded PRNG. */
export function zipf(s, items, requests, seed) {
  const cdf = new Float64Array(items)
  let sum = 0
  for (let i = 0; i < items; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s)
  for (let i = 0; i < items; i++) cdf[i] /= sum
  const keyOf = permutation(items, seed ^ 0x9e37)
  const next = rng(seed)
  const out = new Int32Array(requests)
  for (let r = 0; r < requests; r++) {
    const u = next()
    let lo = 0
    let hi = items - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid] < u) lo = mid + 1
      else hi = mid
    }
    out[r] = keyOf[lo]
  }
  return out
}

/**
 * Zipf traffic interrupted by scans: after every `every` Zipf requests, a run
 * of `scan` keys that are never requested again (a batch job, a crawler).
 */
export function zipfWithScans(s, items, requests, every, scan, seed) {
  const base = zipf(s, items, requests, seed)
  const out = new Int32Array(requests)
  let next = items
  let b = 0
  for (let r = 0; r < requests; ) {
    for (let i = 0; i < every && r < requests; i++) out[r++] = base[b++]
    for (let i = 0; i < scan && r < requests; i++) out[r++] = next++
  }
  return out
}
