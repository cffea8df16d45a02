// The package as a project that installs it sees it: packed as npm publishes
// it, unpacked into a fresh node_modules with TypeScript's Node typings and
// nothing else (no ioredis, no cockatiel: they are optional peers).

import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

import test from 'ava'

import { PACKAGE } from './_helpers'

const run = promisify(execFile)
const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as Record<string, Record<string, unknown> | undefined>

const project = mkdtempSync(join(tmpdir(), 'moka-js-consumer-'))
test.after.always(() => rmSync(project, { recursive: true, force: true }))

test.before(async () => {
  const modules = join(project, 'node_modules')
  mkdirSync(join(modules, '@types'), { recursive: true })
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', project], { cwd: PACKAGE })
  const [{ filename }] = JSON.parse(stdout) as { filename: string }[]
  await run('tar', ['xzf', join(project, filename), '-C', modules])
  renameSync(join(modules, 'package'), join(modules, 'moka-js'))
  for (const [name, target] of [
    ['@types/node', join(PACKAGE, 'node_modules', '@types', 'node')],
    ['undici-types', join(PACKAGE, 'node_modules', 'undici-types')],
  ]) {
    symlinkSync(target, join(modules, name), 'dir')
  }
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true })}\n`)
})

test('moka-js has no runtime dependency; ioredis and cockatiel are optional peers of moka-js/tiered, @opentelemetry/api of moka-js/otel', (t) => {
  t.deepEqual(Object.keys(manifest.dependencies ?? {}), [])
  t.deepEqual(Object.keys(manifest.peerDependencies ?? {}).sort(), ['@opentelemetry/api', 'cockatiel', 'ioredis'])
  const meta = manifest.peerDependenciesMeta as Record<string, { optional?: boolean }>
  t.true(meta.ioredis.optional === true && meta.cockatiel.optional === true && meta['@opentelemetry/api'].optional === true)
})

test('a strict TypeScript project (no skipLibCheck, ioredis not installed) that imports the core compiles, as ESM and as CommonJS', async (t) => {
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: ['node'],
      },
      files: ['core.mts', 'core.cts'],
    }),
  )
  writeFileSync(
    join(project, 'core.mts'),
    `import { cached, Moka, SharedMoka } from 'moka-js'
import type { CacheTier, TierFetchOptions } from 'moka-js'

const cache = new Moka<string, number>({ maxCapacity: 10, ttl: '1m' })
cache.set('a', 1)
export const a: number | undefined = cache.get('a')
export const shared: typeof SharedMoka = SharedMoka
export const square = cached((n: number) => n * n, { maxCapacity: 5 })
export const squared: number = square(3)

// A second tier of one's own: cached() knows tiers by this interface alone.
class MapTier implements CacheTier<string> {
  readonly map = new Map<string, string>()
  async fetch(key: string, loader: (key: string, context: { signal: AbortSignal }) => string | PromiseLike<string>, _options?: TierFetchOptions<string>): Promise<string> {
    const value = this.map.get(key) ?? (await loader(key, { signal: new AbortController().signal }))
    this.map.set(key, value)
    return value
  }
  async delete(key: string): Promise<boolean> {
    return this.map.delete(key)
  }
}
export const greet = cached(async function greet(name: string) { return 'hi ' + name }, { tier: new MapTier(), ttl: '1m' })
export const tier: MapTier = greet.tier
export const hi: Promise<string> = greet('ann')
// @ts-expect-error a number is not a string
greet(1)
`,
  )
  writeFileSync(
    join(project, 'core.cts'),
    `import moka = require('moka-js')

export const cache = new moka.Moka<string, { id: number }>({ maxCapacity: 10 })
export const f = moka.cached(async (id: number) => ({ id }), { ttl: 1000 })
`,
  )
  const tsc = join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', project]).then(
    () => '',
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  )
  t.is(result, '')
})

test('importing moka-js/tiered without its peers throws an error that names the install command', async (t) => {
  const required = await run(process.execPath, ['-e', "require('moka-js/tiered')"], { cwd: project }).then(
    () => '',
    (error: { stderr: string }) => error.stderr,
  )
  t.regex(required, /moka-js\/tiered needs ioredis and cockatiel .*: npm install ioredis cockatiel/)
  const imported = await run(process.execPath, ['--input-type=module', '-e', "await import('moka-js/tiered')"], { cwd: project }).then(
    () => '',
    (error: { stderr: string }) => error.stderr,
  )
  t.regex(imported, /npm install ioredis cockatiel/)
  t.regex(imported, /ERR_MOKA_JS_MISSING_PEER/)
})

test('a strict TypeScript project without keyv installed that imports moka-js/keyv compiles, as ESM and as CommonJS', async (t) => {
  // Its own tsconfig: the tests of this file run at once in one project.
  writeFileSync(
    join(project, 'tsconfig.keyv.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'] },
      files: ['keyv.mts', 'keyv.cts'],
    }),
  )
  writeFileSync(
    join(project, 'keyv.mts'),
    `import { Moka } from 'moka-js'
import { KeyvMoka, type KeyvMokaOptions } from 'moka-js/keyv'

const options: KeyvMokaOptions = { maxCapacity: 10_000, ttl: '10m' }
export const store = new KeyvMoka(options)
export const shared = new KeyvMoka({ shared: 'users', maxCapacity: 1000 })
export const over = new KeyvMoka({ cache: new Moka<string, unknown>({ maxCapacity: 10, perEntryExpiry: true }) })
export const stored: Promise<boolean> = store.set('k', 'v', 1000)
// @ts-expect-error a ttl is milliseconds
store.set('k', 'v', '1m')
`,
  )
  writeFileSync(
    join(project, 'keyv.cts'),
    `import keyv = require('moka-js/keyv')

export const store = new keyv.KeyvMoka({ maxCapacity: 10 })
`,
  )
  const tsc = join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', join(project, 'tsconfig.keyv.json')]).then(
    () => '',
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  )
  t.is(result, '')
})

test('a strict TypeScript project without @opentelemetry/api that imports moka-js/otel compiles, as ESM and as CommonJS', async (t) => {
  writeFileSync(
    join(project, 'tsconfig.otel.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'] },
      files: ['otel.mts', 'otel.cts'],
    }),
  )
  writeFileSync(
    join(project, 'otel.mts'),
    `import { Moka, cached } from 'moka-js'
import { instrument, type Instrumentation, type MeterLike } from 'moka-js/otel'

declare const meter: MeterLike
export const handle: Instrumentation = instrument(new Moka<string, number>({ maxCapacity: 10 }), { meter, name: 'users' })
export const fn = instrument(cached((n: number) => n + 1), { meter, name: 'inc', attributes: { region: 'eu' } })
// @ts-expect-error a name is required
instrument(new Moka({ maxCapacity: 1 }), { meter })
`,
  )
  writeFileSync(
    join(project, 'otel.cts'),
    `import otel = require('moka-js/otel')

export const instrument: typeof otel.instrument = otel.instrument
`,
  )
  const tsc = join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', join(project, 'tsconfig.otel.json')]).then(
    () => '',
    (error: { stdout?: string; message: string }) => error.stdout || error.message,
  )
  t.is(result, '')
})
