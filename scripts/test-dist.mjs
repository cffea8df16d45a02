#!/usr/bin/env node
// `npm run test:dist`: proves that the published packages work without Rust.
//
// 1. Builds this host's Linux glibc binary with napi-rs's glibc 2.17 cross
//    toolchain (`napi build --use-napi-cross`), into its own target directory.
//    C sources (mimalloc) are compiled by clang against its sysroot, as the
//    release job does: the toolchain's GCC 4.8.5 predates C11 atomics.
// 2. Stages the package as the release job sees it (a clean copy of the
//    repository, `lib/` compiled from `ts/`, the built binary as an artifact),
//    runs the release job's `napi create-npm-dirs`, `napi artifacts` and
//    `napi pre-publish` (without publishing), stages the accelerator builds
//    into the platform package (scripts/stage-fast.mjs), checks the committed
//    npm/ against what create-npm-dirs generated, and packs the main and
//    platform packages.
// 3. Installs both tarballs into a fresh project, on a PATH without cargo or
//    rustc, and uses the package from CommonJS, ES modules and strict
//    TypeScript, and `moka-js/tiered` without its optional peers (the error names
//    the install command) and with them; then removes the platform package and
//    checks the error.
//
// Prints each check, the packed files with their sizes, and a final
// "N passed, M failed" line; exits non-zero when any check fails.
// MOKA_DIST_KEEP=1 keeps the temporary directory for inspection (any other
// value, or none, removes it); MOKA_DIST_VERBOSE=1 prints every command's output.

import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { buildFast } from './build-fast.mjs'
import { ensureCrossToolchain } from './napi-cross-toolchain.mjs'
import { stageFast } from './stage-fast.mjs'

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'))
const napiBin = join(repo, 'node_modules', '@napi-rs', 'cli', 'dist', 'cli.js')
const GLIBC_BASELINE = '2.17'

// ---------------------------------------------------------------------------
// Small helpers

const results = []
let blocked = null

function check(name, fn) {
  if (blocked) {
    results.push({ name, status: 'fail', note: `not run: ${blocked} failed` })
    console.log(`FAIL  ${name} (not run: ${blocked} failed)`)
    return
  }
  try {
    const note = fn()
    if (note && typeof note === 'object' && note.skip) {
      results.push({ name, status: 'skip', note: note.skip })
      console.log(`SKIP  ${name}: ${note.skip}`)
    } else {
      results.push({ name, status: 'pass', note })
      console.log(`PASS  ${name}${note ? `: ${note}` : ''}`)
    }
  } catch (error) {
    results.push({ name, status: 'fail', note: error.message })
    console.log(`FAIL  ${name}\n      ${String(error.message).split('\n').join('\n      ')}`)
  }
}

// A check the later ones depend on: when it fails they are reported as failed, not run.
function step(name, fn) {
  check(name, fn)
  if (results.at(-1).status === 'fail' && !blocked) blocked = name
}

function assert(condition, message) {
  if (!condition) throw new Error(message)
}

function run(command, args, options = {}) {
  const { allowFailure = false, quiet = false, ...spawnOptions } = options
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...spawnOptions })
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`)
  if (result.status !== 0 && !allowFailure) {
    const output = `${result.stdout || ''}${result.stderr || ''}`.trim().split('\n').slice(-25).join('\n')
    throw new Error(`\`${basename(command)} ${args.join(' ')}\` exited with ${result.status}\n${output}`)
  }
  if (!quiet && process.env.MOKA_DIST_VERBOSE === '1') process.stdout.write(`${result.stdout}${result.stderr}`)
  return result
}

function napi(args, cwd) {
  return napiWith({}, args, cwd)
}

function napiWith(env, args, cwd) {
  return run(process.execPath, [napiBin, ...args], { cwd, env: childEnv(env) })
}

// The environment of a fresh shell: nothing inherited from the `npm run` that started us.
function childEnv(extra = {}) {
  const env = { ...process.env }
  for (const key of Object.keys(env)) {
    if (/^npm_(lifecycle_|package_|config_(prefix|local_prefix|global_prefix)$)/.test(key) || key === 'INIT_CWD') {
      delete env[key]
    }
  }
  return { ...env, ...extra }
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`
const versionKey = (v) => v.split('.').map(Number)
const compareVersions = (a, b) => {
  const [x, y] = [versionKey(a), versionKey(b)]
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0)
  }
  return 0
}

// ---------------------------------------------------------------------------
// The platform under test: this Linux glibc host.

const hostTargets = {
  x64: { triple: 'x86_64-unknown-linux-gnu', suffix: 'linux-x64-gnu' },
  arm64: { triple: 'aarch64-unknown-linux-gnu', suffix: 'linux-arm64-gnu' },
}
const host = hostTargets[process.arch]
if (process.platform !== 'linux' || !host || !process.report.getReport().header.glibcVersionRuntime) {
  console.error(`test:dist runs on Linux x64 or arm64 with glibc; this is ${process.platform}-${process.arch}.`)
  process.exit(1)
}
const binaryName = pkg.napi.binaryName
const nodeFile = `${binaryName}.${host.suffix}.node`
/** The accelerator builds the platform package carries (scripts/build-fast.mjs, scripts/stage-fast.mjs). */
const acceleratorFiles = ['115', '127', '137'].map((abi) => `moka-js-fast.abi${abi}.node`)
const platformPackage = `${pkg.name}-${host.suffix}`

const work = mkdtempSync(join(tmpdir(), 'moka-js-dist-'))
const buildDir = join(work, 'build')
const stage = join(work, 'package')
const tarballs = join(work, 'tarballs')
const app = join(work, 'app')
mkdirSync(tarballs, { recursive: true })
console.log(`test:dist for ${host.triple} in ${work}`)

// ---------------------------------------------------------------------------
// 1. Build with the glibc 2.17 toolchain.

// `napi build --use-napi-cross` takes it from ~/.napi-rs; see that script for why it is fetched first.
step('glibc 2.17 cross toolchain (@napi-rs/cross-toolchain) is in place', () => ensureCrossToolchain(host.triple, childEnv()))

// `TARGET_CC=clang`: napi adds the toolchain's `--sysroot` and `--gcc-toolchain` for it.
step('clang compiles C for the glibc 2.17 sysroot', () => {
  const version = spawnSync('clang', ['--version'], { encoding: 'utf8' })
  assert(version.status === 0, 'clang not found: install it (Debian: apt-get install clang)')
  return version.stdout.split('\n')[0]
})

step(`TARGET_CC=clang napi build --use-napi-cross --target ${host.triple}`, () => {
  const started = Date.now()
  napiWith(
    { TARGET_CC: 'clang', TARGET_CXX: 'clang++' },
    [
      'build', '--platform', '--release', '--target', host.triple, '--use-napi-cross',
      // Its own target directory: other work in this checkout keeps target/release.
      '--target-dir', join(repo, 'target', 'dist'),
      '--output-dir', buildDir, '--js', 'binding.js', '--dts', 'binding.d.ts',
    ],
    repo,
  )
  assert(existsSync(join(buildDir, nodeFile)), `no ${nodeFile} in ${buildDir}`)
  return `${nodeFile}, ${kib(statSync(join(buildDir, nodeFile)).size)}, ${((Date.now() - started) / 1000).toFixed(0)} s`
})

// The default allocator (src/allocator.rs) is compiled in: mimalloc's messages are in .rodata.
check('the binary allocates with mimalloc', () => {
  const text = readFileSync(join(buildDir, nodeFile)).toString('latin1')
  assert(text.includes('mimalloc: warning: '), 'no mimalloc in the binary: was it built with --no-default-features?')
  return 'mimalloc linked in'
})

check(`the binary needs glibc ${GLIBC_BASELINE} at most`, () => highestGlibc(join(buildDir, nodeFile)))

check(`the accelerator builds need glibc ${GLIBC_BASELINE} at most`, () => {
  buildFast()
  return acceleratorFiles.map((file) => `${file}: ${highestGlibc(join(repo, file))}`).join('; ')
})

/** The highest glibc symbol version `file` needs, checked against the baseline. */
function highestGlibc(file) {
  let text
  const objdump = run('objdump', ['-T', file], { allowFailure: true, quiet: true })
  if (objdump.status === 0) {
    text = objdump.stdout
  } else {
    // No binutils: the version names the binary needs are strings in .dynstr.
    text = readFileSync(file).toString('latin1')
  }
  const versions = [...new Set([...text.matchAll(/GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1]))].sort(compareVersions)
  assert(versions.length > 0, 'no GLIBC_ symbol versions found')
  const highest = versions.at(-1)
  assert(compareVersions(highest, GLIBC_BASELINE) <= 0, `needs GLIBC_${highest} (symbol versions: ${versions.join(', ')})`)
  return `highest symbol version GLIBC_${highest} (${objdump.status === 0 ? 'objdump -T' : 'scanned'})`
}

// ---------------------------------------------------------------------------
// 2. Stage, run the release tooling, pack.

let mainPack
let platformPack
const generatedNpm = new Map()

step('staged release: lib/ compiled, napi create-npm-dirs + artifacts + pre-publish (no publish)', () => {
  const skip = new Set(['.git', 'node_modules', 'target', 'lib', 'binding.js', 'binding.d.ts', 'npm', '.venv'])
  cpSync(repo, stage, {
    recursive: true,
    filter: (source) => {
      const rel = relative(repo, source)
      if (rel === '') return true
      const top = rel.split(/[\\/]/)[0]
      if (skip.has(top)) return false
      if (!rel.includes('/') && (rel.endsWith('.node') || rel.endsWith('.tgz'))) return false
      return true
    },
  })
  run(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(repo, 'tsconfig.build.json'), '--outDir', join(stage, 'lib')], { cwd: repo })
  for (const file of ['binding.js', 'binding.d.ts']) cpSync(join(buildDir, file), join(stage, file))
  // The release job generates npm/ from package.json, as napi-rs does; compared with the committed one below.
  napi(['create-npm-dirs'], stage)
  for (const dir of readdirSync(join(stage, 'npm'))) {
    for (const file of ['package.json', 'README.md']) generatedNpm.set(`${dir}/${file}`, readFileSync(join(stage, 'npm', dir, file), 'utf8'))
  }

  // What the release job downloads: one artifact per target. The other
  // targets' binaries come from other runners; stand-ins let the tooling run.
  const artifacts = join(stage, 'artifacts')
  mkdirSync(join(artifacts, `bindings-${host.triple}`), { recursive: true })
  cpSync(join(buildDir, nodeFile), join(artifacts, `bindings-${host.triple}`, nodeFile))
  const npmDirs = readdirSync(join(stage, 'npm'))
  for (const dir of npmDirs) {
    if (dir === host.suffix) continue
    mkdirSync(join(artifacts, `bindings-${dir}`), { recursive: true })
    writeFileSync(join(artifacts, `bindings-${dir}`, `${binaryName}.${dir}.node`), 'stand-in for a binary built on another runner\n')
  }
  napi(['artifacts', '--output-dir', 'artifacts', '--npm-dir', 'npm'], stage)
  rmSync(artifacts, { recursive: true })
  // The accelerator builds, as the release job's build job uploads them and its publish job stages them.
  const fastArtifacts = join(stage, 'fast-artifacts')
  mkdirSync(join(fastArtifacts, `fast-${host.triple}`), { recursive: true })
  for (const file of acceleratorFiles) cpSync(join(repo, file), join(fastArtifacts, `fast-${host.triple}`, file))
  stageFast(fastArtifacts, join(stage, 'npm'))
  rmSync(fastArtifacts, { recursive: true })
  napi(['pre-publish', '-t', 'npm', '--no-gh-release', '--skip-optional-publish'], stage)

  const built = readFileSync(join(buildDir, nodeFile))
  assert(readFileSync(join(stage, 'npm', host.suffix, nodeFile)).equals(built), `npm/${host.suffix}/${nodeFile} is not the built binary`)
  const staged = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'))
  const expected = Object.fromEntries(npmDirs.map((dir) => [`${pkg.name}-${dir}`, pkg.version]))
  const actual = staged.optionalDependencies || {}
  for (const [name, version] of Object.entries(expected)) {
    assert(actual[name] === version, `optionalDependencies.${name} is ${actual[name]}, expected ${version}`)
  }
  assert(Object.keys(actual).length === npmDirs.length, `unexpected optionalDependencies: ${Object.keys(actual).join(', ')}`)
  return `optionalDependencies: ${npmDirs.length} platform packages at ${pkg.version}`
})

check('committed npm/ is what `napi create-npm-dirs` generates from package.json', () => {
  const committed = existsSync(join(repo, 'npm')) ? readdirSync(join(repo, 'npm')).sort() : []
  const dirs = [...new Set([...generatedNpm.keys()].map((f) => f.split('/')[0]))].sort()
  const fix = 'run `npx napi create-npm-dirs` after changing the version, targets or metadata in package.json'
  assert(JSON.stringify(dirs) === JSON.stringify(committed), `npm/ has ${committed.join(', ') || 'nothing'}; expected ${dirs.join(', ')}: ${fix}`)
  for (const [file, want] of generatedNpm) {
    const path = join(repo, 'npm', file)
    assert(existsSync(path) && readFileSync(path, 'utf8') === want, `npm/${file} differs: ${fix}`)
  }
  return `${dirs.length} platform packages: ${dirs.join(', ')}`
})

function pack(dir) {
  const out = run('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: dir, env: childEnv() })
  const [info] = JSON.parse(out.stdout.slice(out.stdout.indexOf('[')))
  return { ...info, tarball: join(tarballs, info.filename), manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }
}

function printPack(info) {
  console.log(`      ${info.filename}: ${kib(info.size)} packed, ${kib(info.unpackedSize)} unpacked, ${info.entryCount} files`)
  for (const file of [...info.files].sort((a, b) => a.path.localeCompare(b.path))) {
    console.log(`        ${kib(file.size).padStart(10)}  ${file.path}`)
  }
}

step('npm pack the main package and the platform package', () => {
  mainPack = pack(stage)
  platformPack = pack(join(stage, 'npm', host.suffix))
  printPack(mainPack)
  printPack(platformPack)
  return `${mainPack.filename}, ${platformPack.filename}`
})

check('main tarball holds only what users need (no Rust sources, no build artefacts)', () => {
  const files = mainPack.files.map((f) => f.path)
  const allowed = /^(package\.json|README(\.md)?|LICEN[SC]E[\w.-]*|(index|tiered|keyv|otel)\.(js|mjs|d\.ts|d\.mts)|loader\.js|binding\.(js|d\.ts)|lib\/[\w./-]+\.(js|d\.ts))$/
  const unexpected = files.filter((f) => !allowed.test(f))
  assert(unexpected.length === 0, `unexpected files: ${unexpected.join(', ')}`)
  const rust = files.filter((f) => /^(src\/|target\/|Cargo\.|build\.rs|\.cargo\/)|\.(rs|node|wasm)$/.test(f))
  assert(rust.length === 0, `Rust sources or binaries: ${rust.join(', ')}`)
  for (const needed of ['package.json', 'index.js', 'index.mjs', 'index.d.ts', 'index.d.mts', 'tiered.js', 'tiered.mjs', 'tiered.d.ts', 'tiered.d.mts', 'loader.js', 'binding.js', 'lib/index.js', 'lib/index.d.ts']) {
    assert(files.includes(needed), `missing ${needed}`)
  }
  const scripts = mainPack.manifest.scripts || {}
  const hooks = ['preinstall', 'install', 'postinstall'].filter((s) => s in scripts)
  assert(hooks.length === 0, `install scripts would run on users' machines: ${hooks.join(', ')}`)
  return `${files.length} files, ${kib(mainPack.unpackedSize)}`
})

check('platform tarball: the binary and the accelerator builds only, with os/cpu/libc and the same version', () => {
  const files = platformPack.files.map((f) => f.path).sort()
  assert(JSON.stringify(files) === JSON.stringify(['README.md', nodeFile, 'package.json', ...acceleratorFiles].sort()), `files: ${files.join(', ')}`)
  const m = platformPack.manifest
  assert(m.name === platformPackage, `name ${m.name}`)
  assert(m.version === pkg.version, `version ${m.version}, main package ${pkg.version}`)
  assert(m.main === nodeFile, `main ${m.main}`)
  assert(JSON.stringify(m.os) === '["linux"]', `os ${JSON.stringify(m.os)}`)
  assert(JSON.stringify(m.cpu) === JSON.stringify([process.arch]), `cpu ${JSON.stringify(m.cpu)}`)
  assert(JSON.stringify(m.libc) === '["glibc"]', `libc ${JSON.stringify(m.libc)}`)
  assert(m.license === pkg.license, `license ${m.license}`)
  return `${m.name}@${m.version}, ${kib(platformPack.unpackedSize)}`
})

// ---------------------------------------------------------------------------
// 3. A fresh project, no Rust.

const rustless = (() => {
  const isExecutable = (file) => {
    try {
      return statSync(file).isFile() && (statSync(file).mode & 0o111) !== 0
    } catch {
      return false
    }
  }
  const cargoBin = join(process.env.CARGO_HOME || join(homedir(), '.cargo'), 'bin')
  const dirs = (process.env.PATH || '').split(delimiter).filter(
    (dir) => dir && resolve(dir) !== resolve(cargoBin) && !['cargo', 'rustc', 'rustup'].some((tool) => isExecutable(join(dir, tool))),
  )
  const env = childEnv({ PATH: dirs.join(delimiter) })
  for (const key of Object.keys(env)) if (/^(CARGO|RUSTUP|RUSTC)/.test(key)) delete env[key]
  // node and npm stay reachable even if they shared a directory with cargo.
  const bin = join(work, 'bin')
  for (const [tool, target] of [['node', process.execPath], ['npm', process.env.npm_execpath]]) {
    if (target && run('sh', ['-c', `command -v ${tool}`], { env, allowFailure: true }).status !== 0) {
      mkdirSync(bin, { recursive: true })
      symlinkSync(target, join(bin, tool))
      env.PATH = `${bin}${delimiter}${env.PATH}`
    }
  }
  return env
})()

const inApp = (command, args, options = {}) => run(command, args, { cwd: app, env: rustless, ...options })

function range(name) {
  const spec = pkg.devDependencies && pkg.devDependencies[name]
  return spec ? `${name}@${spec}` : name
}

step('npm install the two tarballs into a fresh project, on a PATH without cargo or rustc', () => {
  for (const tool of ['cargo', 'rustc']) {
    const found = run('sh', ['-c', `command -v ${tool}`], { env: rustless, allowFailure: true })
    assert(found.status !== 0, `${tool} is still on PATH: ${found.stdout.trim()}`)
  }
  mkdirSync(app, { recursive: true })
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'moka-js-dist-check', version: '1.0.0', private: true }, null, 2)}\n`)
  inApp('npm', ['install', '--no-audit', '--no-fund', mainPack.tarball, platformPack.tarball, range('typescript'), range('@types/node')])
  const installed = join(app, 'node_modules', platformPackage, nodeFile)
  assert(existsSync(installed), `${relative(app, installed)} was not installed`)
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'))
  const resolved = lock.packages[`node_modules/${platformPackage}`]?.resolved || ''
  assert(resolved.startsWith('file:'), `${platformPackage} resolved from ${resolved || 'nowhere'}, not from the tarball`)
  const stray = readdirSync(join(app, 'node_modules', pkg.name)).filter((f) => f.endsWith('.node'))
  assert(stray.length === 0, `binaries inside ${pkg.name}: ${stray.join(', ')}`)
  return `cargo and rustc absent; ${platformPackage} from ${basename(resolved)}`
})

const expectedBinary = `node_modules/${platformPackage}/${nodeFile}`
const expectedAccelerator = `node_modules/${platformPackage}/moka-js-fast.abi${process.versions.modules}.node`

check('CommonJS: require("moka-js") uses the prebuilt binary and its accelerator', () => {
  writeFileSync(
    join(app, 'check.cjs'),
    `const assert = require('node:assert/strict')
const path = require('node:path')
const { Moka } = require('moka-js')
const cache = new Moka({ maxCapacity: 100 })
const value = { id: 1 }
assert.equal(cache.set('k', value), cache)
assert.equal(cache.get('k'), value)
assert.equal(cache.has('k'), true)
assert.equal(cache.get('missing'), undefined)
assert.equal(cache.size, 1)
const natives = Object.keys(require.cache).filter((f) => f.endsWith('.node')).map((f) => path.relative(__dirname, f))
assert.deepEqual(natives, [${JSON.stringify(expectedBinary)}, ${JSON.stringify(expectedAccelerator)}])
const { acceleratorInfo } = require(path.join(__dirname, 'node_modules/moka-js/lib/core/fast.js'))
for (let i = 0; i < 1000; i++) cache.get('k')
assert.ok(acceleratorInfo().calls >= 1000, 'the accelerator takes calls')
console.log(natives.join(', '))
`,
  )
  return `loaded ${inApp('node', ['check.cjs']).stdout.trim()}`
})

check('ES modules: import { Moka } from "moka-js"', () => {
  writeFileSync(
    join(app, 'check.mjs'),
    `import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { Moka } from 'moka-js'
import moka from 'moka-js'
import * as esm from 'moka-js'
// index.mjs re-exports by hand: every export of the CommonJS entry must be there, the same object.
const require = createRequire(import.meta.url)
const cjs = require('moka-js')
assert.equal(moka, cjs)
const missing = Object.keys(cjs).filter((name) => esm[name] !== cjs[name])
assert.deepEqual(missing, [], 'exports missing from index.mjs: ' + missing.join(', '))
console.log(Object.keys(cjs).join(', '))
const cache = new Moka({ maxCapacity: 10 })
cache.set(1, 'one').set(-0, 'zero')
assert.equal(cache.get(1), 'one')
assert.equal(cache.get(0), 'zero')
const natives = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
assert.equal(natives.length, 2)
assert.ok(natives[0].endsWith(${JSON.stringify(expectedBinary)}), natives[0])
assert.ok(natives[1].endsWith(${JSON.stringify(expectedAccelerator)}), natives[1])
`,
  )
  return `named exports match require("moka-js"): ${inApp('node', ['check.mjs']).stdout.trim()}`
})

/**
 * Runs `body` in a module of the app that imports `name` from `subpath` as an
 * ES module and checks CommonJS gets the same export; returns the subpath's
 * export names, as the module printed them.
 */
function subpathExports(file, subpath, name, body, imports = '') {
  writeFileSync(
    join(app, file),
    `import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
${imports}import { ${name} } from '${subpath}'
const require = createRequire(import.meta.url)
assert.equal(${name}, require('${subpath}').${name})
${body}
console.log(Object.keys(require('${subpath}')).join(', '))
`,
  )
  return `exports: ${inApp('node', [file]).stdout.trim()}`
}

check('moka-js/keyv: the same KeyvMoka from ES modules and CommonJS, without keyv installed', () =>
  subpathExports(
    'check-keyv.mjs',
    'moka-js/keyv',
    'KeyvMoka',
    `const store = new KeyvMoka({ maxCapacity: 10 })
await store.set('k', 'v', 60_000)
assert.equal(await store.get('k'), 'v')`,
  ),
)

check('moka-js/otel without @opentelemetry/api: the same instrument from ES modules and CommonJS, reporting through a given meter', () =>
  subpathExports(
    'check-otel.mjs',
    'moka-js/otel',
    'instrument',
    `const observed = new Map()
const meter = {
  createObservableCounter: (name) => ({ name }),
  createObservableGauge: (name) => ({ name }),
  addBatchObservableCallback: (callback) => callback({ observe: (instrument, value) => observed.set(instrument.name, value) }),
  removeBatchObservableCallback: () => {},
}
const cache = new Moka({ maxCapacity: 10 })
cache.get('absent')
instrument(cache, { meter, name: 'c' }).close()
assert.equal(observed.get('moka.cache.misses'), 1)
assert.throws(() => instrument(cache, { name: 'c' }), /npm install @opentelemetry\\/api/)`,
    "import { Moka } from 'moka-js'\n",
  ),
)

check('TypeScript: strict, module nodenext, ESM and CJS, @ts-expect-error catches wrong types', () => {
  writeFileSync(
    join(app, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
          skipLibCheck: false,
        },
        files: ['check.mts', 'check.cts'],
      },
      null,
      2,
    )}\n`,
  )
  writeFileSync(
    join(app, 'check.mts'),
    `import { cached, Moka, SharedMoka } from 'moka-js'
import type { MokaOptions } from 'moka-js'

// The core's types compile with no ioredis installed (it is an optional peer of moka-js/tiered).
export const square = cached((n: number) => n * n)
export const squared: number = square(3)
export const Shared: typeof SharedMoka = SharedMoka

const options: MokaOptions<string, number> = { maxCapacity: 100 }
const cache = new Moka<string, number>(options)
cache.set('a', 1).set('b', 2)
const a: number | undefined = cache.get('a')
const size: number = cache.size
export const used = [a, size]

// @ts-expect-error a Moka<string, number> takes string keys and number values
cache.set(1, 'x')
// @ts-expect-error get may return undefined
export const missing: number = cache.get('missing')
`,
  )
  writeFileSync(
    join(app, 'check.cts'),
    `import moka = require('moka-js')

const cache = new moka.Moka<string, { id: number }>({ maxCapacity: 10 })
cache.set('user', { id: 1 })
export const id: number | undefined = cache.get('user')?.id
// @ts-expect-error the value type is { id: number }
cache.set('user', { id: 'one' })
`,
  )
  const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc')
  const version = inApp('node', [tsc, '--version']).stdout.trim()
  inApp('node', [tsc, '-p', 'tsconfig.json'])
  return `${version}, tsc --noEmit --strict --module nodenext passes (so both directives are used)`
})

check('moka-js installs no runtime dependency; moka-js/tiered without ioredis and cockatiel names the install command', () => {
  const installed = readdirSync(join(app, 'node_modules')).filter((name) => ['ioredis', 'cockatiel', 'ms', 'fastest-levenshtein'].includes(name))
  assert(installed.length === 0, `installed with moka-js: ${installed.join(', ')}`)
  for (const [file, code] of [
    ['tiered-missing.cjs', "require('moka-js/tiered')"],
    ['tiered-missing.mjs', "await import('moka-js/tiered')"],
  ]) {
    writeFileSync(join(app, file), `${code}\n`)
    const result = inApp('node', [file], { allowFailure: true })
    assert(result.status !== 0, `${file}: loading moka-js/tiered succeeded without its peers`)
    assert(result.stderr.includes('npm install ioredis cockatiel'), `${file}: the error does not name the install command:\n${result.stderr.trim()}`)
  }
  return 'npm install ioredis cockatiel'
})

check('moka-js/tiered with ioredis and cockatiel installed: CommonJS and ES modules', () => {
  inApp('npm', ['install', '--no-audit', '--no-fund', range('ioredis'), range('cockatiel')])
  writeFileSync(
    join(app, 'tiered.cjs'),
    `const assert = require('node:assert/strict')
const { TieredCache, TierError } = require('moka-js/tiered')
assert.equal(typeof TieredCache, 'function')
assert.equal(typeof TierError, 'function')
assert.throws(() => new TieredCache({ redis: 'http://localhost' }), TypeError)
`,
  )
  writeFileSync(
    join(app, 'tiered.mjs'),
    `import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import tiered, { TieredCache, TierError, PayloadError } from 'moka-js/tiered'
const cjs = createRequire(import.meta.url)('moka-js/tiered')
assert.equal(tiered, cjs)
for (const name of Object.keys(cjs)) assert.equal({ TieredCache, TierError, PayloadError }[name], cjs[name], name)
`,
  )
  inApp('node', ['tiered.cjs'])
  inApp('node', ['tiered.mjs'])
})

// Without the platform package: what a user on a platform without a binary sees.
function withoutPlatformPackage(fn) {
  const dir = join(app, 'node_modules', platformPackage)
  const hidden = join(app, `${platformPackage}.hidden`)
  renameSync(dir, hidden)
  try {
    return fn()
  } finally {
    renameSync(hidden, dir)
  }
}

function assertHelpfulError(stderr) {
  const wanted = [`${process.platform}-${process.arch}`, 'glibc', platformPackage, 'npm run build', 'rustup.rs']
  const missing = wanted.filter((w) => !stderr.includes(w))
  assert(missing.length === 0, `the error does not mention ${missing.join(', ')}:\n${stderr.trim().split('\n').slice(0, 12).join('\n')}`)
}

check('missing binary: loader.js names the platform, the package and the build command', () => {
  const loader = join(app, 'node_modules', pkg.name, 'loader.js')
  const result = withoutPlatformPackage(() => inApp('node', ['-e', `require(${JSON.stringify(loader)})`], { allowFailure: true }))
  assert(result.status !== 0, 'loading succeeded without the binary')
  assertHelpfulError(result.stderr)
  return result.stderr.split('\n').find((l) => l.includes('no native binary')).replace(/^Error: /, '')
})

check('missing binary: require("moka-js") reports the same', () => {
  const result = withoutPlatformPackage(() => inApp('node', ['-e', `require('moka-js')`], { allowFailure: true }))
  assert(result.status !== 0, 'loading succeeded without the binary')
  const native = readFileSync(join(app, 'node_modules', pkg.name, 'lib', 'core', 'native.js'), 'utf8')
  if (!native.includes('loader.js')) {
    return { skip: 'lib/core/native.js still requires ../../binding.js directly (point ts/core/native.ts at ../loader.js)' }
  }
  assertHelpfulError(result.stderr)
})

// ---------------------------------------------------------------------------

const count = (status) => results.filter((r) => r.status === status).length
if (process.env.MOKA_DIST_KEEP === '1') {
  console.log(`kept ${work}`)
} else {
  rmSync(work, { recursive: true, force: true })
}
const skipped = count('skip')
console.log(`${count('pass')} passed, ${count('fail')} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(count('fail') === 0 ? 0 : 1)
