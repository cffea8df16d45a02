// `moka-js/keyv`: @keyv/test-suite in full (run by vitest, the runner it is
// written for, in a child process) against the store over a Moka and over a
// SharedMoka, then what the suite does not check: moka's own expiry of Keyv's
// ttl, namespaces sharing one cache, the bulk methods, options, the entry.

import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'

import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import test from 'ava'
import Keyv, { type KeyvStoreAdapter } from 'keyv'

import { Moka, SharedMoka } from '../index.js'
import { KeyvMoka } from '../keyv.js'
import { PACKAGE, sleep } from './_helpers'

const run = promisify(execFile)
const SUITE = join(__dirname, 'fixtures', 'keyv-suite')
const STORES = ['Moka', 'SharedMoka']

/** The tests the suite's functions declare for one store (what vitest must run, each), by title. */
function declaredTests(): string[] {
  const titles: string[] = []
  const recorder = { it: (title: string) => titles.push(title), beforeEach: () => {}, afterEach: () => {} }
  const store = () => new Map()
  keyvTestSuite(recorder as never, Keyv, store)
  keyvIteratorTests(recorder as never, Keyv, store)
  return titles
}

interface VitestReport {
  numTotalTests: number
  numPassedTests: number
  numFailedTests: number
  testResults: { assertionResults: { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] }[] }[]
}

test('@keyv/test-suite (API, values, namespaces and iterator tests) passes in full with vitest, over a Moka and over a SharedMoka', async (t) => {
  const declared = declaredTests()
  t.true(declared.length >= 42, `${declared.length} tests declared per store`)
  t.true(declared.filter((title) => title.includes('iterator')).length >= 4, 'the iterator tests are among them')

  const out = mkdtempSync(join(tmpdir(), 'moka-js-keyv-suite-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const report = join(out, 'report.json')
  // The vitest that @keyv/test-suite depends on.
  const vitest = join(dirname(createRequire(require.resolve('@keyv/test-suite')).resolve('vitest/package.json')), 'vitest.mjs')
  await run(process.execPath, [vitest, 'run', '--root', SUITE, '--no-cache', '--reporter=json', `--outputFile=${report}`], {
    cwd: SUITE,
    timeout: 120_000,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    // Failing tests make vitest exit non-zero; the report below says which.
    t.log(error.stderr ?? '')
  })
  const result = JSON.parse(readFileSync(report, 'utf8')) as VitestReport
  const results = result.testResults.flatMap((file) => file.assertionResults)
  for (const failed of results.filter((r) => r.status !== 'passed')) {
    t.log(`${failed.ancestorTitles.join(' › ')} › ${failed.title}: ${failed.status}\n${failed.failureMessages.join('\n').slice(0, 2000)}`)
  }
  for (const store of STORES) {
    const mine = results.filter((r) => r.ancestorTitles[0] === store)
    const passed = mine.filter((r) => r.status === 'passed').map((r) => r.title)
    t.log(`${store}: ${passed.length} of ${declared.length} @keyv/test-suite tests passed`)
    t.deepEqual(passed.sort(), [...declared].sort(), `${store}: every declared test ran and passed`)
  }
  t.is(result.numFailedTests, 0)
  t.is(result.numPassedTests, declared.length * STORES.length)
  t.is(result.numTotalTests, declared.length * STORES.length)
})

test("Keyv's ttl is moka's per-entry expiry: the entry leaves the cache, not only Keyv's answers", async (t) => {
  const store = new KeyvMoka({ maxCapacity: 100 })
  const keyv = new Keyv({ store })
  await keyv.set('short', 'a', 1000)
  await keyv.set('long', 'b', 60_000)
  await keyv.set('forever', 'c')
  t.is(store.cache.size, 3)
  await sleep(1300)
  t.false(store.cache.has('keyv:short'), 'gone from moka itself')
  t.is(await keyv.get('short'), undefined)
  t.is(await keyv.get('long'), 'b')
  t.is(await keyv.get('forever'), 'c')
  // moka's timer wheel removes it (and counts it out of size) within about a second; it is never returned.
  t.deepEqual([...store.cache.keys()].sort(), ['keyv:forever', 'keyv:long'])
})

test('a ttl that has run out removes the key; one beyond 1000 years sets no deadline; one that is not a number is refused', async (t) => {
  const store = new KeyvMoka({ maxCapacity: 100 })
  await store.set('k', 'v')
  t.true(await store.set('k', 'w', -5))
  t.false(await store.has('k'))
  t.true(await store.set('far', 'v', Number.POSITIVE_INFINITY))
  t.is(await store.get('far'), 'v')
  const error = await t.throwsAsync(store.set('x', 'v', '5m' as never), { instanceOf: TypeError })
  t.regex(error!.message, /KeyvMoka: ttl must be a number/)
})

test("clear() removes the current namespace's keys only, and everything without a namespace; stores share one cache", async (t) => {
  const cache = new Moka<string, unknown>({ maxCapacity: 100, perEntryExpiry: true })
  const users = new Keyv({ store: new KeyvMoka({ cache }), namespace: 'users' })
  const posts = new Keyv({ store: new KeyvMoka({ cache }), namespace: 'posts' })
  await users.set('1', 'ann')
  await posts.set('1', 'hello')
  t.is(cache.size, 2)
  await users.clear()
  t.is(await users.get('1'), undefined)
  t.is(await posts.get('1'), 'hello')
  const bare = new KeyvMoka({ cache })
  await bare.clear()
  t.is(cache.size, 0)
})

test('getMany/setMany: one call on the cache for entries without a ttl, in order; entries with a ttl get their own deadline', async (t) => {
  const store = new KeyvMoka({ maxCapacity: 100 })
  const cache = store.cache as Moka<string, unknown>
  const calls: string[] = []
  const setMany = cache.setMany.bind(cache)
  const getMany = cache.getMany.bind(cache)
  cache.setMany = (entries) => (calls.push(`setMany ${[...entries].length}`), setMany(entries))
  cache.getMany = (keys) => (calls.push(`getMany ${[...keys].length}`), getMany(keys))
  const keyv = new Keyv({ store })
  t.deepEqual(await keyv.setMany([{ key: 'a', value: 1 }, { key: 'b', value: 2 }, { key: 'c', value: 3, ttl: 1000 }, { key: 'a', value: 4 }]), [true, true, true, true])
  t.deepEqual(await keyv.getMany(['a', 'b', 'c', 'd']), [4, 2, 3, undefined])
  t.deepEqual(calls, ['setMany 2', 'setMany 1', 'getMany 4'])
  await sleep(1300)
  t.false(cache.has('keyv:c'))
})

test('a store over a SharedMoka is one cache for every store of that name', async (t) => {
  const a = new Keyv({ store: new KeyvMoka({ shared: 'keyv-spec', maxCapacity: 100 }) })
  const b = new Keyv({ store: new KeyvMoka({ shared: 'keyv-spec', maxCapacity: 100 }) })
  await a.set('k', { n: 1 }, 60_000)
  t.deepEqual(await b.get('k'), { n: 1 })
  const handle = (b.store as KeyvMoka).cache
  t.true(handle instanceof SharedMoka)
  t.true(handle.perEntryExpiry)
})

test("KeyvMoka is a Keyv store by Keyv's own type (checked by tsc), with every optional method", (t) => {
  // setMany answers one boolean per entry, which Keyv's setMany returns to its caller; Keyv types the store's as void.
  const store: Omit<KeyvStoreAdapter, 'setMany'> & Pick<KeyvMoka, 'setMany'> = new KeyvMoka()
  for (const method of ['getMany', 'setMany', 'has', 'hasMany', 'deleteMany', 'iterator'] as const) t.is(typeof store[method], 'function', method)
  t.is(typeof store.on, 'function')
})

test('options are checked, each error naming KeyvMoka and the option', (t) => {
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [{ maxCapacity: -1 }, RangeError, /^KeyvMoka: maxCapacity must be an integer/],
    [{ maxCapacity: '10' }, TypeError, /^KeyvMoka: maxCapacity must be a number/],
    [{ ttl: 0 }, RangeError, /^KeyvMoka: ttl must be a positive duration/],
    [{ policy: 'lfu' }, RangeError, /^KeyvMoka: policy must be/],
    [{ maxCapactiy: 10 }, TypeError, /^unknown KeyvMoka option "maxCapactiy"/],
    [{ shared: '' }, TypeError, /^KeyvMoka: shared must be a non-empty string/],
    [{ cache: new Map() }, TypeError, /^KeyvMoka: cache must be a Moka or a SharedMoka/],
    [{ cache: new Moka({ maxCapacity: 1 }) }, TypeError, /^KeyvMoka: cache must be built with perEntryExpiry: true/],
    [{ cache: new Moka({ maxCapacity: 1, perEntryExpiry: true }), maxCapacity: 5 }, TypeError, /^KeyvMoka: cache is given, so maxCapacity must not be/],
    [null, TypeError, /^KeyvMoka options must be an object/],
  ]
  for (const [options, type, message] of cases) {
    const error = t.throws(() => new KeyvMoka(options as never), { instanceOf: type }, String(message))
    t.regex(error!.message, message)
  }
  t.is((new KeyvMoka().cache as Moka).maxCapacity, 10_000, 'default capacity')
  const first = new KeyvMoka({ shared: 'keyv-options', maxCapacity: 10 })
  const error = t.throws(() => new KeyvMoka({ shared: 'keyv-options', maxCapacity: 20 }), { instanceOf: TypeError })
  t.regex(error!.message, /^KeyvMoka: SharedMoka "keyv-options" exists with maxCapacity 10; this handle asked for 20/)
  t.true(first.cache instanceof SharedMoka)
})

test('moka-js/keyv is a subpath export (CommonJS and ESM, with types); keyv is no dependency of moka-js', async (t) => {
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
    exports: Record<string, { import: { types: string; default: string }; require: { types: string; default: string } }>
    dependencies?: Record<string, string>
    files: string[]
  }
  const entry = manifest.exports['./keyv']
  t.deepEqual(entry, { import: { types: './keyv.d.mts', default: './keyv.mjs' }, require: { types: './keyv.d.ts', default: './keyv.js' } })
  for (const file of ['keyv.js', 'keyv.mjs', 'keyv.d.ts', 'keyv.d.mts']) t.true(manifest.files.includes(file), file)
  t.false('keyv' in (manifest.dependencies ?? {}))
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { KeyvMoka } from 'moka-js/keyv'; import { createRequire } from 'node:module';
       const cjs = createRequire(import.meta.url)('moka-js/keyv');
       console.log(KeyvMoka === cjs.KeyvMoka, Object.keys(createRequire(import.meta.url).cache).some((f) => /node_modules[\\\\/]keyv[\\\\/]/.test(f)))`,
    ],
    { cwd: PACKAGE },
  )
  t.is(stdout.trim(), 'true false', 'one class for both entries, and loading it loads no keyv')
})
