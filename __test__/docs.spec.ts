// docs/*.md's examples, run as written (how, and what is checked: _docs.ts),
// and the links of README.md and docs/*.md, which must reach a file of the
// repository and, with a #fragment, one of its headings.

import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

import test from 'ava'

import { docTests } from './_docs'
import { PACKAGE } from './_helpers'

const DOCS = join(PACKAGE, 'docs')
const pages = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => join(DOCS, f))

docTests(test, pages, { minRunnable: 15 })

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** The anchors of a Markdown file's headings (a repeated heading gets -1, -2…). */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  let fence = false
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fence = !fence
    const heading = fence ? null : /^#{1,6} (.*)$/.exec(line)
    if (heading === null) continue
    const base = slug(heading[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** Relative links of a Markdown text, outside code and outside the generated benchmark blocks. */
function links(markdown: string): string[] {
  // The benchmark blocks are benchmark/report.mjs's output; its own checks cover them.
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/<!-- bench:([a-z-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g, '')
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link))
}

test('README.md and docs/*.md: every relative link reaches a file, and a heading where it names one', (t) => {
  const files = [join(PACKAGE, 'README.md'), ...pages]
  const broken: string[] = []
  let count = 0
  for (const file of files) {
    for (const link of links(readFileSync(file, 'utf8'))) {
      count++
      const [path, fragment] = link.split('#')
      const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
      const where = `${relative(PACKAGE, file)}: ${link}`
      if (!existsSync(target)) broken.push(`${where}: no such file`)
      else if (fragment !== undefined && target.endsWith('.md') && !anchors(target).has(fragment)) broken.push(`${where}: no such heading`)
    }
  }
  t.true(count > 20, `${count} links`)
  t.deepEqual(broken, [])
})

test('README.md links every page of docs/', (t) => {
  const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8')
  for (const page of pages) t.true(readme.includes(`](docs/${relative(DOCS, page)}`), `README.md has no link to docs/${relative(DOCS, page)}`)
})
