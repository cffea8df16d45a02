// The error a user sees when no native binary loads: the real loader.js and
// generated binding.js, copied next to a package.json into a directory where
// no binary and no platform package exist.

import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import test from 'ava'

import { PACKAGE } from './_helpers'

const pkg = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8'))

interface LoadFailure {
  message: string
  code: string
  platform: string
  expectedPackage: string
}

/** Requires a copy of the loader whose package.json is `pkg` changed by `edit`; returns the error it threw. */
function loadWithout(edit: (manifest: typeof pkg) => void = () => {}): LoadFailure {
  const dir = mkdtempSync(join(tmpdir(), 'moka-js-loader-'))
  try {
    for (const file of ['loader.js', 'binding.js']) cpSync(join(PACKAGE, file), join(dir, file))
    const manifest = structuredClone(pkg)
    edit(manifest)
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest))
    const script = `try { require(${JSON.stringify(join(dir, 'loader.js'))}) } catch (e) {
      console.log(JSON.stringify({ message: e.message, code: e.code, platform: e.platform, expectedPackage: e.expectedPackage }))
    }`
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: dir, timeout: 30_000 })
    if (r.stdout.trim() === '') throw new Error(`the loader did not throw: ${r.stderr}`)
    return JSON.parse(r.stdout) as LoadFailure
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('a missing prebuilt binary: the error names the package, the repository to build from, and only real attempts', (t) => {
  const e = loadWithout()
  t.is(e.code, 'ERR_MOKA_JS_NATIVE_BINDING')
  t.is(e.expectedPackage, `moka-js-${e.platform}`)
  t.true(e.message.includes(`npm install moka-js-${e.platform}@${pkg.version}`), e.message)
  t.true(e.message.includes('clone https://github.com/moka-js/moka-js,'), e.message)
  const attempts = e.message.split('\n').find((line) => line.startsWith('Loader attempts: '))!
  t.true(attempts.includes(`./moka-js.${e.platform}.node`), attempts)
  t.true(attempts.includes(`'moka-js-${e.platform}'`), attempts)
  t.false(/wasi|wasm/i.test(attempts), 'no WebAssembly build is published, so its attempts are not listed')
})

test('the repository comes from package.json', (t) => {
  t.is(pkg.repository.url, 'git+https://github.com/moka-js/moka-js.git')
  const e = loadWithout((m) => {
    m.repository = 'github:someone/fork'
  })
  t.true(e.message.includes('clone https://github.com/someone/fork,'), e.message)
})

test('an unsupported platform: the error lists exactly the targets package.json builds', (t) => {
  // Targets no CI runner is: this host is then a platform without a binary.
  const e = loadWithout((m) => {
    m.napi.targets = ['riscv64gc-unknown-linux-gnu', 's390x-unknown-linux-gnu']
  })
  t.true(e.message.includes(`looked for the package \`moka-js-${e.platform}\`, which is not published`), e.message)
  t.true(e.message.includes('Prebuilt binaries exist for: linux-riscv64-gnu, linux-s390x-gnu.'), e.message)
})

test('a WebAssembly target in napi.targets brings its attempts back', (t) => {
  const e = loadWithout((m) => {
    m.napi.targets = [...m.napi.targets, 'wasm32-wasip1-threads']
  })
  const attempts = e.message.split('\n').find((line) => line.startsWith('Loader attempts: '))!
  t.regex(attempts, /wasi/)
})
