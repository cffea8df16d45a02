// Contenders measured interleaved, in rounds: each round takes one figure
// from every contender, in an order that rotates from round to round, so a
// burst of machine noise lands on all of them alike. A figure is reported as
// the median over the rounds with its range (min–max), and a ratio to a peer
// is taken within each round, then summarized the same way.
//
// Hand-written on process.hrtime.bigint(): benny / benchmark.js, tinybench
// and mitata all measure one contender to completion before the next, which
// is what let a quiet and a noisy minute be compared as if alike.

import { QUICK } from './common.mjs'

/**
 * Rounds per case, and what a sampler takes per round: `samples` timed
 * batches of about `sampleMs`, after `warmupMs` of untimed calls the first
 * time. Measured on a busy 2-core machine: a fresh loop ran 2–4× slower for
 * its first ~150 ms, until V8 had optimized it; and lru-cache's get-hit at
 * 10k keys, interleaved with a Map, read 110–200 ns in 5 ms batches against
 * 100–125 ns in 20 ms ones and ~110 ns in a plain loop.
 */
export const ROUNDS = QUICK ? 3 : 7
export const TIMING = QUICK ? { sampleMs: 15, samples: 3, warmupMs: 100 } : { sampleMs: 20, samples: 5, warmupMs: 200 }

/** { median, min, max } of a list of numbers. */
export function spread(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s.at(-1) }
}

/** Per-round ratios a[r] / b[r], summarized. */
export function ratioSpread(a, b) {
  return spread(a.map((x, r) => x / b[r]))
}

/**
 * Measures `contenders` ([{ name, sample: () => ns | Promise<ns> }]) over
 * `rounds` rounds; returns Map name → ns per round. `onRound(r, figures)` is
 * told each round's figures as they come.
 */
export async function interleave(contenders, rounds, onRound) {
  const perRound = new Map(contenders.map((c) => [c.name, []]))
  for (let r = 0; r < rounds; r++) {
    const shift = r % contenders.length
    const order = [...contenders.slice(shift), ...contenders.slice(0, shift)]
    if (r % 2 === 1) order.reverse()
    const figures = {}
    for (const c of order) {
      const ns = await c.sample()
      perRound.get(c.name).push(ns)
      figures[c.name] = ns
    }
    onRound?.(r, figures)
  }
  return perRound
}

/**
 * A sampler for a JS function `run` doing `opsPerCall` operations per call:
 * each sample() calls it in `samples` timed batches of about `sampleMs` each
 * (TIMING unless given), after an untimed half batch, and returns the median
 * batch's ns per operation. The first sample() first calibrates the batch
 * size and warms the function up for `warmupMs`. `async: true` awaits each
 * call.
 */
export function sampler(run, { opsPerCall, sampleMs = TIMING.sampleMs, samples = TIMING.samples, warmupMs = TIMING.warmupMs, async = false }) {
  let calls = 0
  const batch = async ? timeAsync : timeSync
  const calibrate = async () => {
    calls = 1
    let spent = 0
    for (;;) {
      const ms = (await batch(run, calls)) / 1e6
      spent += ms
      if (ms >= sampleMs / 4) {
        calls = Math.max(1, Math.round((calls * sampleMs) / ms))
        break
      }
      calls *= 4
    }
    while (spent < warmupMs) spent += (await batch(run, calls)) / 1e6
  }
  return async () => {
    if (calls === 0) await calibrate()
    // Untimed: brings this contender's data back into the CPU caches after
    // the other contenders' turns, which a timed batch would pay for.
    await batch(run, Math.ceil(calls / 2))
    const ns = []
    for (let i = 0; i < samples; i++) ns.push((await batch(run, calls)) / (calls * opsPerCall))
    return spread(ns).median
  }
}

function timeSync(run, calls) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) run()
  return Number(process.hrtime.bigint() - t0)
}

async function timeAsync(run, calls) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) await run()
  return Number(process.hrtime.bigint() - t0)
}
