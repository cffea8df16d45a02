// README.md's examples, run as written.
//
// Every fenced block whose language is js/javascript/mjs or ts/typescript runs
// in its own `node` process, as an ES module (`.mjs`, or `.mts` through tsx),
// importing `moka-js` from a project that has it installed (a symlink to this
// package). TypeScript blocks must also type-check (strict, NodeNext).
//
// What an example states is checked: a line that starts with `console.log(`
// must end with a comment saying what it prints, e.g.
//
//     console.log(fib(10))          // 55n
//     console.log(queries, a === b) // 1 true: explanation
//
// The expected output is the comment up to its first `: `, `, ` or ` (` outside
// brackets and quotes (the rest explains); `…` stands for anything; runs of
// whitespace count as one space. Every such line must have run, and printed
// exactly that each time it ran.
//
// Not run: blocks in other languages (sh, text), and JS/TS blocks marked
// `no-run` in their info string (```ts no-run), for types-only snippets. Every
// block must name its language, so that none is skipped unnoticed.
//
// The network is stubbed (fixtures/readme-preload.mjs): `fetch` answers
// https://api.example.com/users/<id> and refuses anything else.

import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

import test from 'ava'
import ts from 'typescript'

import { PACKAGE } from './_helpers'
import { REDIS_REQUIRED, RedisServer, SERVER_BINARY } from './_redis'

const RUNNABLE = new Map([
  ['js', 'mjs'],
  ['javascript', 'mjs'],
  ['mjs', 'mjs'],
  ['ts', 'mts'],
  ['typescript', 'mts'],
])

interface Block {
  /** README line of the block's first line of code. */
  line: number
  lang: string
  flags: string[]
  code: string
}

/** The fenced code blocks of a Markdown text. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i])
    if (open === null) continue
    const [lang = '', ...flags] = open[1].trim().split(/\s+/).filter(Boolean)
    const start = i + 1
    let end = start
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++
    blocks.push({ line: start + 1, lang, flags, code: lines.slice(start, end).join('\n') })
    i = end
  }
  return blocks
}

interface Stated {
  /** Line within the block, 1-based. */
  line: number
  expected: string
}

/** The comment's stated output: up to the first top-level `: `, `, ` or ` (`. */
function statedOutput(comment: string): string {
  let depth = 0
  let quote: string | undefined
  for (let i = 0; i < comment.length; i++) {
    const c = comment[i]
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      continue
    }
    if (c === "'" || c === '"' || c === '`') quote = c
    else if (depth === 0 && [': ', ', ', ' ('].includes(comment.slice(i, i + 2))) return comment.slice(0, i)
    else if ('([{'.includes(c)) depth++
    else if (')]}'.includes(c)) depth--
  }
  return comment
}

/** What the `console.log` lines of `code` state they print; `unstated` lists those that state nothing. */
function statements(code: string): { stated: Stated[]; unstated: number[] } {
  const stated: Stated[] = []
  const unstated: number[] = []
  code.split('\n').forEach((text, i) => {
    if (!/^\s*console\.log\(/.test(text)) return
    const comment = /\)\s+\/\/ (.+)$/.exec(text)
    if (comment === null) unstated.push(i + 1)
    else stated.push({ line: i + 1, expected: statedOutput(comment[1].trim()) })
  })
  return { stated, unstated }
}

/** Whether `actual` is what `expected` states, `…` standing for anything and whitespace runs for one space. */
function printedAsStated(expected: string, actual: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim()
  const pattern = squash(expected)
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?')
  return new RegExp(`^${pattern}$`, 's').test(squash(actual))
}

const blocks = fencedBlocks(readFileSync(join(PACKAGE, 'README.md'), 'utf8'))
const runnable = blocks.filter((b) => RUNNABLE.has(b.lang) && !b.flags.includes('no-run'))

/** A project with moka-js installed, where the examples are written and run. */
const project = mkdtempSync(join(tmpdir(), 'moka-js-readme-'))
mkdirSync(join(project, 'node_modules'))
// The examples also use rxjs (a devDependency), as a NestJS project would have it.
for (const [name, target] of [
  ['moka-js', PACKAGE],
  ['rxjs', join(PACKAGE, 'node_modules', 'rxjs')],
]) {
  symlinkSync(target, join(project, 'node_modules', name), process.platform === 'win32' ? 'junction' : 'dir')
}
test.after.always(() => rmSync(project, { recursive: true, force: true }))

const fileOf = (block: Block): string => join(project, `readme-${block.line}.${RUNNABLE.get(block.lang)}`)
for (const block of runnable) writeFileSync(fileOf(block), `${block.code}\n`)

// The TieredCache examples connect to REDIS_URL: a server of their own, started
// here. Without redis-server they are skipped (failed, under MOKA_REQUIRE_REDIS=1).
const needsRedis = (block: Block): boolean => block.code.includes('REDIS_URL')
let redis: RedisServer | undefined
test.before(async () => {
  if (SERVER_BINARY !== undefined && runnable.some(needsRedis)) redis = await RedisServer.start()
})
test.after.always(() => redis?.stop())

const TSX = pathToFileURL(require.resolve('tsx')).href
const PRELOAD = pathToFileURL(join(__dirname, 'fixtures', 'readme-preload.mjs')).href
const run = promisify(execFile)

test('README: the blocks that are not run are other languages, or JS/TS marked no-run', (t) => {
  t.true(runnable.length >= 10, `${runnable.length} runnable blocks`)
  for (const block of blocks) {
    if (RUNNABLE.has(block.lang)) continue
    t.not(block.lang, '', `line ${block.line}: every block names its language (sh, text, js, ts…), so that none is skipped unnoticed`)
    t.false(block.flags.includes('no-run'), `line ${block.line}: no-run is for JS/TS blocks; ${block.lang} blocks never run`)
  }
  t.log(`run: ${runnable.length}; not run: ${blocks.filter((b) => !runnable.includes(b)).map((b) => `line ${b.line} (${[b.lang, ...b.flags].join(' ')})`).join(', ')}`)
})

test('README: the TypeScript examples type-check (strict, NodeNext)', (t) => {
  const files = runnable.filter((b) => RUNNABLE.get(b.lang) === 'mts').map(fileOf)
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(PACKAGE, 'node_modules', '@types')],
  })
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : ''
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
  })
  t.deepEqual(diagnostics, [])
})

for (const block of runnable) {
  const title = block.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('//')) ?? ''
  const noServer = needsRedis(block) && SERVER_BINARY === undefined
  const skip = noServer && !REDIS_REQUIRED
  ;(skip ? test.serial.skip : test.serial)(`README line ${block.line} (${block.lang}): ${title.slice(0, 60)}${skip ? ' (needs redis-server)' : ''}`, async (t) => {
    if (noServer) {
      t.fail('this example needs Redis: no redis-server (or valkey-server) on PATH, and MOKA_REQUIRE_REDIS=1 requires one')
      return
    }
    const { stated, unstated } = statements(block.code)
    t.deepEqual(
      unstated.map((l) => block.line + l - 1),
      [],
      'README lines with a console.log that does not state what it prints',
    )
    const file = fileOf(block)
    const record = `${file}.json`
    const loader = RUNNABLE.get(block.lang) === 'mts' ? ['--import', TSX] : []
    const { stdout, stderr } = await run(process.execPath, [...loader, '--import', PRELOAD, file], {
      cwd: project,
      env: { ...process.env, README_RECORD: record, ...(redis === undefined ? {} : { REDIS_URL: redis.url }) },
      timeout: 60_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`README line ${block.line}: the example failed\n${error.stderr ?? error.message}\n${error.stdout ?? ''}`)
    })
    t.log(stdout.trimEnd())
    t.is(stderr, '', 'nothing on stderr')
    const printed = JSON.parse(readFileSync(record, 'utf8')) as { line?: number; text: string }[]
    for (const { line, expected } of stated) {
      const at = block.line + line - 1
      const texts = printed.filter((p) => p.line === line).map((p) => p.text)
      t.true(texts.length > 0, `README line ${at} never ran`)
      for (const text of texts) t.true(printedAsStated(expected, text), `README line ${at} printed ${JSON.stringify(text)}; its comment says ${JSON.stringify(expected)}`)
    }
  })
}

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
