// The documentation's code, run as written: the machinery of readme.spec.ts
// (README.md) and docs.spec.ts (docs/*.md), and the stated-output checks that
// examples.spec.ts shares with them.
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
// TypeScript blocks marked `legacy-decorators` (```ts legacy-decorators) are
// NestJS code: they type-check with `experimentalDecorators` and
// `emitDecoratorMetadata`, and run as TypeScript's own emit of them (tsx's
// esbuild emits no decorator metadata, which Nest's injection reads).
//
// The network is stubbed (fixtures/readme-preload.mjs): `fetch` answers
// https://api.example.com/users/<id> and refuses anything else.
//
// Blocks that import 'moka-js/tiered' (or read REDIS_URL) need a Redis server:
// one is started for them when `redis-server` (or `valkey-server`) is on PATH.
// Without one they are skipped, saying why, unless MOKA_REQUIRE_REDIS=1 (as CI
// sets it), which makes a missing server a failure. Blocks that read
// REDIS_CLUSTER get a cluster of 3 masters too, its nodes as `host:port,…`.

import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

import type { TestFn } from 'ava'
import ts from 'typescript'

import { PACKAGE } from './_helpers'
import { REDIS_REQUIRED, RedisCluster, RedisServer, SERVER_BINARY } from './_redis'

export const RUNNABLE = new Map([
  ['js', 'mjs'],
  ['javascript', 'mjs'],
  ['mjs', 'mjs'],
  ['ts', 'mts'],
  ['typescript', 'mts'],
])

/** The flag of TypeScript blocks written for legacy decorators (NestJS). */
export const LEGACY_DECORATORS = 'legacy-decorators'

export interface Block {
  /** Line of the block's first line of code in its file. */
  line: number
  lang: string
  flags: string[]
  code: string
}

/** The fenced code blocks of a Markdown text. */
export function fencedBlocks(markdown: string): Block[] {
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
export function statedOutput(comment: string): string {
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
export function statements(code: string): { stated: Stated[]; unstated: number[] } {
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
export function printedAsStated(expected: string, actual: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim()
  const pattern = squash(expected)
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*?')
  return new RegExp(`^${pattern}$`, 's').test(squash(actual))
}

/** Whether code needs a Redis server: it uses the second tier. */
export const needsRedis = (code: string): boolean => /['"]moka-js\/tiered['"]|REDIS_URL/.test(code)

/** What to do with the tests that need Redis: run them, skip them (saying why), or fail (CI): as `_redis.ts` decides for the specs. */
export function redisPolicy(): 'run' | 'skip' | 'fail' {
  if (SERVER_BINARY !== undefined) return 'run'
  return REDIS_REQUIRED ? 'fail' : 'skip'
}

export const NO_REDIS = 'redis-server is not on PATH'
export const NO_REDIS_SKIP = `skipped: ${NO_REDIS} (MOKA_REQUIRE_REDIS=1 makes this a failure)`
export const NO_REDIS_FAIL = `${NO_REDIS}, and MOKA_REQUIRE_REDIS=1 requires it: install redis-server (or valkey-server)`

/** Whether package.json exports `moka-js/tiered`; until it does, the tests resolve it to `moka-js` (fixtures/tiered-subpath.mjs). */
export function tieredExported(): boolean {
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { exports?: Record<string, unknown> }
  return manifest.exports !== undefined && './tiered' in manifest.exports
}

export const TIERED_SUBPATH = pathToFileURL(join(__dirname, 'fixtures', 'tiered-subpath.mjs')).href

/** How NestJS projects compile: legacy decorators, with the metadata Nest's injection reads. */
const LEGACY_EMIT: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, experimentalDecorators: true, emitDecoratorMetadata: true }

const TSX = pathToFileURL(require.resolve('tsx')).href
const PRELOAD = pathToFileURL(join(__dirname, 'fixtures', 'readme-preload.mjs')).href
const run = promisify(execFile)

/** A short name for a Markdown file, for titles and file names: `README`, `docs/api`. */
const nameOf = (file: string): string => relative(PACKAGE, file).replace(/\.md$/, '')

/**
 * Declares, on `test`, the tests that run the code blocks of `files`
 * (Markdown files of this package): one per runnable block, plus checks that
 * nothing is skipped unnoticed and that the TypeScript blocks type-check.
 */
export function docTests(test: TestFn, files: string[], { minRunnable }: { minRunnable: number }): void {
  const docs = files.map((file) => {
    const blocks = fencedBlocks(readFileSync(file, 'utf8'))
    return { file, name: nameOf(file), blocks, runnable: blocks.filter((b) => RUNNABLE.has(b.lang) && !b.flags.includes('no-run')) }
  })
  const runnable = docs.flatMap((d) => d.runnable.map((block) => ({ doc: d.name, block })))

  /** A project with moka-js installed, where the examples are written and run. */
  const project = mkdtempSync(join(tmpdir(), 'moka-js-docs-'))
  mkdirSync(join(project, 'node_modules'))
  // The examples also use rxjs, Keyv, cache-manager and NestJS (devDependencies), as a NestJS project would have them,
  // and the OpenTelemetry SDK, as a project exporting metrics would.
  mkdirSync(join(project, 'node_modules', '@nestjs'))
  mkdirSync(join(project, 'node_modules', '@opentelemetry'))
  for (const [name, target] of [
    ['moka-js', PACKAGE],
    ...[
      'rxjs',
      'keyv',
      'cache-manager',
      'reflect-metadata',
      '@nestjs/common',
      '@nestjs/core',
      '@nestjs/cache-manager',
      '@opentelemetry/api',
      '@opentelemetry/sdk-metrics',
      '@opentelemetry/exporter-prometheus',
    ].map((dep) => [dep, join(PACKAGE, 'node_modules', dep)]),
  ]) {
    symlinkSync(target, join(project, 'node_modules', name), process.platform === 'win32' ? 'junction' : 'dir')
  }
  test.after.always(() => rmSync(project, { recursive: true, force: true }))

  const fileOf = (doc: string, block: Block): string =>
    join(project, `${doc.replace(/[^A-Za-z0-9]+/g, '-')}-${block.line}.${RUNNABLE.get(block.lang)}`)
  for (const { doc, block } of runnable) writeFileSync(fileOf(doc, block), `${block.code}\n`)
  const legacy = ({ block }: { block: Block }): boolean => block.flags.includes(LEGACY_DECORATORS)
  /** What runs: the block as written, or for legacy-decorator blocks TypeScript's ES module emit of it. */
  const runFileOf = (doc: string, block: Block): string => {
    if (!legacy({ block })) return fileOf(doc, block)
    const js = ts.transpileModule(block.code, {
      compilerOptions: { ...LEGACY_EMIT, module: ts.ModuleKind.ES2022, inlineSourceMap: true },
      fileName: fileOf(doc, block),
    })
    const file = fileOf(doc, block).replace(/\.mts$/, '.legacy.mjs')
    writeFileSync(file, js.outputText)
    return file
  }

  // The TieredCache examples connect to REDIS_URL: a server of their own, started here.
  const redisBlocks = runnable.filter(({ block }) => needsRedis(block.code))
  const policy = redisBlocks.length > 0 ? redisPolicy() : 'run'
  let redis: RedisServer | undefined
  let cluster: RedisCluster | undefined
  if (redisBlocks.length > 0 && policy === 'run') {
    test.before(async () => {
      redis = await RedisServer.start()
      if (redisBlocks.some(({ block }) => block.code.includes('REDIS_CLUSTER'))) cluster = await RedisCluster.start(0)
    })
    test.after.always(async () => {
      await redis?.stop()
      await cluster?.stop()
    })
  }

  const label = docs.length === 1 ? docs[0].name : `${basename(join(files[0], '..'))}/*.md`

  test(`${label}: the blocks that are not run are other languages, or JS/TS marked no-run`, (t) => {
    t.true(runnable.length >= minRunnable, `${runnable.length} runnable blocks`)
    for (const { name, blocks, runnable: run } of docs) {
      for (const block of blocks) {
        if (RUNNABLE.has(block.lang)) continue
        t.not(block.lang, '', `${name}.md line ${block.line}: every block names its language (sh, text, js, ts…), so that none is skipped unnoticed`)
        t.false(block.flags.includes('no-run'), `${name}.md line ${block.line}: no-run is for JS/TS blocks; ${block.lang} blocks never run`)
      }
      const skipped = blocks.filter((b) => !run.includes(b))
      t.log(`${name}.md: run ${run.length}; not run: ${skipped.map((b) => `line ${b.line} (${[b.lang, ...b.flags].join(' ')})`).join(', ') || 'none'}`)
    }
  })

  test(`${label}: the TypeScript examples type-check (strict, NodeNext)`, (t) => {
    const typescript = runnable.filter(({ block }) => RUNNABLE.get(block.lang) === 'mts')
    if (typescript.length === 0) {
      t.pass('no TypeScript blocks')
      return
    }
    t.deepEqual(typeErrors(typescript.filter((b) => !legacy(b)).map(({ doc, block }) => fileOf(doc, block)), {}), [])
    t.deepEqual(typeErrors(typescript.filter(legacy).map(({ doc, block }) => fileOf(doc, block)), LEGACY_EMIT), [], 'legacy-decorators blocks')
  })

  /** Type errors of `sources` with the settings the blocks are checked with, plus `extra`. */
  function typeErrors(sources: string[], extra: ts.CompilerOptions): string[] {
    if (sources.length === 0) return []
    const program = ts.createProgram(sources, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [join(PACKAGE, 'node_modules', '@types')],
      // Until the subpath is exported, its types are the main entry's (see tieredExported).
      ...(tieredExported() ? {} : { paths: { 'moka-js/tiered': [join(PACKAGE, 'index.d.mts')] } }),
      ...extra,
    })
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : ''
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`
    })
  }

  for (const { doc, block } of runnable) {
    const where = `${doc}.md line ${block.line}`
    const first = block.code.split('\n').find((l) => l.trim() !== '' && !l.startsWith('//')) ?? ''
    const title = `${where} (${block.lang}): ${first.slice(0, 60)}`
    const redisNeeded = needsRedis(block.code)
    if (redisNeeded && policy === 'skip') {
      test.skip(`${title} — ${NO_REDIS_SKIP}`, () => {})
      continue
    }
    test.serial(title, async (t) => {
      if (redisNeeded && policy === 'fail') throw new Error(`${where}: ${NO_REDIS_FAIL}`)
      const { stated, unstated } = statements(block.code)
      t.deepEqual(
        unstated.map((l) => block.line + l - 1),
        [],
        `${doc}.md lines with a console.log that does not state what it prints`,
      )
      const file = runFileOf(doc, block)
      const record = `${file}.json`
      // Legacy-decorator blocks run as emitted JS, their lines mapped back to the block's.
      const emitted = file !== fileOf(doc, block)
      const loader = emitted ? ['--enable-source-maps'] : file.endsWith('.mts') ? ['--import', TSX] : []
      const { stdout, stderr } = await run(process.execPath, [...loader, '--import', PRELOAD, '--import', TIERED_SUBPATH, file], {
        cwd: project,
        env: {
          ...process.env,
          README_RECORD: record,
          ...(emitted ? { README_SOURCE: fileOf(doc, block) } : {}),
          ...(redis ? { REDIS_URL: redis.url } : {}),
          ...(cluster ? { REDIS_CLUSTER: cluster.option.cluster.map(({ host, port }) => `${host}:${port}`).join(',') } : {}),
        },
        timeout: 60_000,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${where}: the example failed\n${error.stderr ?? error.message}\n${error.stdout ?? ''}`)
      })
      t.log(stdout.trimEnd())
      t.is(stderr, '', 'nothing on stderr')
      const printed = JSON.parse(readFileSync(record, 'utf8')) as { line?: number; text: string }[]
      for (const { line, expected } of stated) {
        const at = block.line + line - 1
        const texts = printed.filter((p) => p.line === line).map((p) => p.text)
        t.true(texts.length > 0, `${doc}.md line ${at} never ran`)
        for (const text of texts) t.true(printedAsStated(expected, text), `${doc}.md line ${at} printed ${JSON.stringify(text)}; its comment says ${JSON.stringify(expected)}`)
      }
    })
  }
}
