// Workloads shared by the replay suites: the traces of ../shared/traces and
// synthetic Zipf request streams.

import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { permutation, rng } from './common.mjs'

/** Parses a gzip text trace (one non-negative integer per line). */
export function loadTrace(file, limit = Infinity) {
  const buf = gunzipSync(readFileSync(file))
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
