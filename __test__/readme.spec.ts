// README.md's examples, run as written (how, and what is checked: _docs.ts).

import { join } from 'node:path'

import test from 'ava'

import { docTests, fencedBlocks, printedAsStated, statedOutput, statements } from './_docs'
import { PACKAGE } from './_helpers'

docTests(test, [join(PACKAGE, 'README.md')], { minRunnable: 1 })

test('README checks: stated outputs and matching', (t) => {
  t.is(statedOutput('55n'), '55n')
  t.is(statedOutput('2: two callers joined the load in flight'), '2')
  t.is(statedOutput('222n, in O(n) calls'), '222n')
  t.is(statedOutput("{ id: 1, name: 'anna' }"), "{ id: 1, name: 'anna' }")
  t.is(statedOutput('{ id: 1 } 3'), '{ id: 1 } 3')
  t.is(statedOutput('true (the very object)'), 'true')
  t.is(statedOutput("'a: b', c"), "'a: b'")
  t.true(printedAsStated('{ hits: 298, hitRate: 0.497…, … }', '{\n  hits: 298,\n  hitRate: 0.4975,\n  size: 1\n}'))
  t.false(printedAsStated('1', '10'))
  t.false(printedAsStated('55n', 'undefined'))
  t.deepEqual(statements('console.log(1)   // 1\n  console.log(2)\nfoo() // bar').unstated, [2])
  t.deepEqual(fencedBlocks('a\n```ts no-run\nx\n```\n```\ny\n```\n').map((b) => [b.line, b.lang, b.flags, b.code]), [
    [3, 'ts', ['no-run'], 'x'],
    [6, '', [], 'y'],
  ])
})
