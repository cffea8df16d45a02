// Two complete runs of the suites side by side: every ratio each publishes
// (lib/ratios.mjs), run 1's median and range beside run 2's, and whether
// run 2's median fell within run 1's range (min–max over its rounds), all
// three as published (3 significant figures).
//
//   node benchmark/repeatability.mjs --first=DIR --second=DIR [--out=FILE] [--headline]
//
// DIR holds a run's <suite>.json files (benchmark/results/ after `npm run
// bench -- --update`, copied aside). Prints a summary per suite, then the
// table, as Markdown; `--out=FILE` writes it there too. `--headline` keeps
// the rows of moka-js's own figures (lib/ratios.mjs), not the peers'.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fmt, markdownTable, option } from './lib/common.mjs'
import { RATIO_SUITES, publishedRatios } from './lib/ratios.mjs'

const first = option('first', null)
const second = option('second', null)
if (!first || !second) throw new RangeError('repeatability: --first=DIR and --second=DIR are required')
const out = option('out', null)
const headlineOnly = process.argv.includes('--headline')

/** As published (fmt.ratio: 3 significant figures): a range of no width holds what rounds to it. */
const published = (x) => parseFloat(fmt.ratio(x))
const within = (x, range) => published(x) >= published(range.min) && published(x) <= published(range.max)

const load = (dir, suite) => {
  const file = join(dir, `${suite}.json`)
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null
}

const rows = []
const summary = []
for (const suite of RATIO_SUITES) {
  const a = load(first, suite)
  const b = load(second, suite)
  if (!a || !b) {
    summary.push([suite, a ? '-' : 'missing', b ? '-' : 'missing', null, null, null, null])
    continue
  }
  const later = new Map(publishedRatios(b).map((x) => [x.case, x.ratio]))
  let compared = 0
  let held = 0
  let mutual = 0
  let flatOutside = 0
  for (const { case: name, ratio, headline } of publishedRatios(a)) {
    const again = later.get(name)
    if (!again || (headlineOnly && !headline)) continue
    const inside = within(again.median, ratio)
    // The converse: run 1's median within run 2's range.
    const back = within(ratio.median, again)
    compared++
    if (inside) held++
    if (inside && back) mutual++
    // A range of one value: a single round, or a figure that does not vary within a process.
    const flat = published(ratio.min) === published(ratio.max) ? '; run 1 has no spread' : ''
    if (!inside && flat) flatOutside++
    rows.push([suite, name, fmt.ratioRange(ratio), fmt.ratioRange(again), inside ? 'yes' : `no (${fmt.ratio(again.median / ratio.median)} of run 1${flat})`])
  }
  summary.push([suite, a.date.slice(0, 16).replace('T', ' '), b.date.slice(0, 16).replace('T', ' '), compared, `${held} (${Math.round((100 * held) / compared)} %)`, mutual, flatOutside])
}

const text = [
  markdownTable(['suite', 'run 1 (UTC)', 'run 2 (UTC)', 'ratios compared', "run 2's median within run 1's range", 'each within the other', 'outside, run 1 without spread'], summary),
  markdownTable(['suite', 'case', 'run 1: median (min–max)', 'run 2: median (min–max)', "run 2's median within run 1's range?"], rows),
].join('\n\n')
console.log(text)
if (out) writeFileSync(out, text + '\n')
