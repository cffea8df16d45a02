#!/usr/bin/env node
// Puts the accelerator builds (scripts/build-fast.mjs) into their platform
// package, as the release job does after `napi artifacts`: each
// `moka-js-fast.abi<N>.node` in a directory `fast-<rust target triple>` of
// ARTIFACTS goes into npm/<platform>/ and into that package's "files" (which
// `napi create-npm-dirs` writes with the addon alone). ts/core/fast.ts looks
// for them there.
//
// Usage: node scripts/stage-fast.mjs ARTIFACTS [NPM_DIR]   (NPM_DIR default: npm)
// Prints what it staged; exits non-zero when an artifact has no platform package.

import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The npm/ directory of a Rust target triple with an accelerator build (Linux glibc only). */
const PLATFORM_OF_TRIPLE = {
  'x86_64-unknown-linux-gnu': 'linux-x64-gnu',
  'aarch64-unknown-linux-gnu': 'linux-arm64-gnu',
}

export function stageFast(artifacts, npmDir = 'npm') {
  const staged = []
  for (const entry of readdirSync(artifacts)) {
    const triple = entry.replace(/^fast-/, '')
    if (entry === triple) continue
    const platform = PLATFORM_OF_TRIPLE[triple]
    const dir = platform && join(npmDir, platform)
    if (!dir || !existsSync(join(dir, 'package.json'))) throw new Error(`${entry}: no platform package for ${triple} in ${npmDir}`)
    const manifestPath = join(dir, 'package.json')
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))
    for (const file of readdirSync(join(artifacts, entry)).filter((f) => /^moka-js-fast\.abi\d+\.node$/.test(f)).sort()) {
      copyFileSync(join(artifacts, entry, file), join(dir, file))
      if (!manifest.files.includes(file)) manifest.files.push(file)
      staged.push(`${platform}/${file}`)
    }
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`)
  }
  return staged
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [artifacts, npmDir = 'npm'] = process.argv.slice(2)
  if (!artifacts) throw new Error('usage: node scripts/stage-fast.mjs ARTIFACTS [NPM_DIR]')
  const staged = stageFast(resolve(artifacts), resolve(npmDir))
  console.log(staged.length > 0 ? `staged ${staged.join(', ')}` : 'no accelerator builds to stage')
}
