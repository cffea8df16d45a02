// Every ratio a result file publishes with its range over rounds (taken
// within each round), as [{ case, ratio: { median, min, max }, headline }]:
// what two runs of a suite are compared by (benchmark/repeatability.mjs).
// `headline`: a figure of moka-js's own (its default policy, the README's
// summary) rather than a peer's. Figures a baseline has by definition (1×)
// are left out.

const ratioRows = (prefix, rows, name, baseline, headline) =>
  rows.filter((r) => name(r) !== baseline && r.ratio).map((r) => ({ case: `${prefix}: ${name(r)}`, ratio: r.ratio, headline: headline(name(r)) }))

const byFigure = (prefix, ratio, headline) => Object.entries(ratio ?? {}).map(([figure, spread]) => ({ case: `${prefix}: ${figure}`, ratio: spread, headline }))

const MOKA = 'moka-js tinyLfu'

const BY_SUITE = {
  latency: (r) => r.suites.flatMap((s) => ratioRows(`${s.id} @ ${s.keys.toLocaleString('en-US')}`, s.rows, (x) => x.cache, r.method.baseline, (name) => name === MOKA)),
  'moka-py': (r) => r.cases.flatMap((c) => Object.entries(c.policies).map(([policy, m]) => ({ case: `${c.case} (${policy})`, ratio: m.jsOverPy, headline: policy === 'tinyLfu' }))),
  memory: (r) => r.rows.filter((x) => x.ratio).flatMap((x) => byFigure(`${x.values} values, ${x.cache}`, x.ratio, x.cache === 'moka-js')),
  'fetch-replay': (r) => [
    ...r.results.flatMap((w) =>
      w.rows
        .filter((x) => x.contender !== r.method.baseline && !x.error)
        .flatMap((x) => [
          { case: `${w.workload} @ ${w.capacity.toLocaleString('en-US')}, ${x.contender}: backend calls`, ratio: x.callsVsBaseline, headline: x.contender === r.method.headline },
          ...x.wall.map((wall) => ({
            case: `${w.workload} @ ${w.capacity.toLocaleString('en-US')}, ${x.contender}: wall, ${wall.backendMs} ms backend`,
            ratio: wall.ratio,
            headline: x.contender === r.method.headline && wall.backendMs === 1,
          })),
        ]),
    ),
    ...ratioRows('awaited hit', r.hitPath.rows, (x) => x.contender, r.method.baseline, (name) => name === r.method.headline),
  ],
  cached: (r) => r.suites.flatMap((s) => ratioRows(s.title, s.rows, (x) => x.name, s.baseline, (name) => name.startsWith('moka-js'))),
  'shared-memory': (r) => r.rows.filter((x) => x.ratio && x.cache !== r.baseline).flatMap((x) => byFigure(`${x.cache}, ${x.entries.toLocaleString('en-US')} entries`, x.ratio, x.cache === 'SharedMoka')),
}

/** The suites whose results publish ratios within rounds. */
export const RATIO_SUITES = Object.keys(BY_SUITE)

/** The ratios `result` publishes (none for a suite that publishes no ratio within rounds). */
export function publishedRatios(result) {
  return (BY_SUITE[result.suite]?.(result) ?? []).filter((x) => x.ratio && Number.isFinite(x.ratio.median))
}
