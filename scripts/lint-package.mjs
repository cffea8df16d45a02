// Packs the package as npm would publish it and checks the tarball with
// publint (package.json fields, files, exports) and @arethetypeswrong/cli
// (types resolve for CJS and ESM importers under every module resolution).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const dir = mkdtempSync(join(tmpdir(), 'moka-js-pack-'))
try {
  const run = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  const [{ filename }] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir]))
  const tarball = join(dir, filename)
  execFileSync('npx', ['publint', '--strict', tarball], { stdio: 'inherit' })
  execFileSync('npx', ['attw', tarball], { stdio: 'inherit' })
} finally {
  rmSync(dir, { recursive: true, force: true })
}
