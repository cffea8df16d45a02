// Contenders measured interleaved, in rounds: each round takes one figure
// from every contender, in an order that rotates from round to round, so a
// burst of machine noise lands on all of them alike. A figure is reported as
// the median over the rounds with its range (min–max), and a ratio to a peer
// is taken within each round, then summarized the same way.
//
// Hand-written on process.hrtime.bigint(): benny / benchmark.js, tinybench
// and mitata all measure one contender to completion before the next, which
// is what let a quiet and a noisy minute be compared as if alike.
//
// Before each round the 4 MiB memory-latency probe is taken (probeRound, a
// few ms) and kept with the round: a record of the state the round ran in.
// Where enough rounds read normal, the ratio over those rounds alone is
// reported beside the ratio over all of them (ratioFigures); it filters,
// it never withholds a figure.

import { QUICK } from './common.mjs'
import { probeRound } from './probe.mjs'

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
 * `rounds` rounds, each after a round probe; returns { perRound: Map name →
 * ns per round, probes: one probeRound() per round }. `onRound(r, figures)`
 * is told each round's figures as they come.
 */
export async function interleave(contenders, rounds, onRound) {
  const perRound = new Map(contenders.map((c) => [c.name, []]))
  let figures = {}
  const probes = await rotate(contenders, rounds, async (c, r, last) => {
    const ns = await c.sample()
    perRound.get(c.name).push(ns)
    figures[c.name] = ns
    if (last) {
      onRound?.(r, figures)
      figures = {}
    }
  })
  return { perRound, probes }
}

/**
 * The order of rounds every suite keeps: `rounds` rounds, each after a round
 * probe, calling `measure(contender, round, last)` once per contender in an
 * order that rotates by one from round to round and runs backwards every
 * other round (`last`: the round's final call). Returns the probes.
 */
export async function rotate(contenders, rounds, measure) {
  const probes = []
  for (let r = 0; r < rounds; r++) {
    probes.push(probeRound())
    const order = roundOrder(contenders, r)
    for (const [i, c] of order.entries()) await measure(c, r, i === order.length - 1)
  }
  return probes
}

/** The contenders in round `r`'s order: rotated by r, and backwards every other round. */
export function roundOrder(contenders, r) {
  const shift = r % contenders.length
  const order = [...contenders.slice(shift), ...contenders.slice(0, shift)]
  return r % 2 === 1 ? order.reverse() : order
}

/** Rounds whose probe read normal needed before their ratio is reported apart. */
export const MIN_NORMAL_ROUNDS = 3

/**
 * The ratio a[r] / b[r] over all rounds, and, when at least
 * MIN_NORMAL_ROUNDS of them had a normal probe, over those alone:
 * { ratio, normalRounds, ratioNormal?, disagree? }. `disagree`: the ratios of
 * the normal rounds and of the others span ranges that do not overlap, so
 * the machine's state moved the ratio, not only the absolute figures.
 */
export function ratioFigures(a, b, probes) {
  const ratio = ratioSpread(a, b)
  const normal = probes.map((p) => p.verdict === 'normal')
  const normalRounds = normal.filter(Boolean).length
  if (normalRounds < MIN_NORMAL_ROUNDS) return { ratio, normalRounds }
  const over = (want) => ratioSpread(
    a.filter((_, r) => normal[r] === want),
    b.filter((_, r) => normal[r] === want),
  )
  const ratioNormal = over(true)
  const others = normalRounds < a.length ? over(false) : null
  return { ratio, normalRounds, ratioNormal, disagree: others !== null && (ratioNormal.max < others.min || others.max < ratioNormal.min) }
}

/**
 * Each figure of a contender's runs ÷ the baseline's run of the same round:
 * { key: spread } for each of `picks` ({ key: run => number }).
 */
export function ratiosByFigure(runs, baseRuns, picks) {
  return Object.fromEntries(Object.entries(picks).map(([key, pick]) => [key, ratioSpread(runs.map(pick), baseRuns.map(pick))]))
}

/** A contender's figures over the rounds: { ns, rounds, ratio, normalRounds, ratioNormal?, disagree? } against `base`'s rounds. */
export function figures(rounds, base, probes) {
  return { ns: spread(rounds), rounds, ...ratioFigures(rounds, base, probes) }
}

/** The round probes' 4 MiB loads, summarized: { median, min, max } ns, and how many read normal. */
export function probeSummary(probes) {
  return { ...spread(probes.map((p) => p.ns)), normal: probes.filter((p) => p.verdict === 'normal').length, rounds: probes.length }
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
