// The README's SharedMoka example is examples/shared.mjs, verbatim, and runs.

import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

import test from 'ava'

import { PACKAGE } from './_helpers'

test('the README example is examples/shared.mjs and prints what its comments say', (t) => {
  const example = readFileSync(resolve(PACKAGE, 'examples/shared.mjs'), 'utf8')
  const readme = readFileSync(resolve(PACKAGE, 'README.md'), 'utf8')
  t.true(readme.includes('```js\n' + example + '```'), 'README quotes examples/shared.mjs')
  const run = spawnSync(process.execPath, ['examples/shared.mjs'], { cwd: PACKAGE, encoding: 'utf8', timeout: 30_000 })
  t.is(run.status, 0, run.stderr)
  t.is(
    run.stdout,
    `[
  'written by the main thread / user 7',
  'written by the main thread / user 7',
  'written by the main thread / user 7'
]
loads in workers: 1
{ id: 7, name: 'user 7' } loads in main: 0
`,
  )
})
