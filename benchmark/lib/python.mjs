// The Python side of the benchmarks: a local virtualenv with the pinned
// moka-py from PyPI (benchmark/requirements.txt), created on first use.
// Run as a script (`node benchmark/lib/python.mjs`), it prepares that
// virtualenv and exits: `benchmark/index.mjs --build` does so while the
// addon compiles.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BENCH_DIR, option } from './common.mjs'

const VENV = option('venv', join(BENCH_DIR, '.venv'))
const REQUIREMENTS = join(BENCH_DIR, 'requirements.txt')
/** The virtualenv's interpreter (`--venv=DIR` chooses another virtualenv). */
export const PYTHON = join(VENV, 'bin', 'python')

/** Makes sure the virtualenv has the pinned moka-py; throws saying why it could not. */
export function preparePython() {
  const pinned = readFileSync(REQUIREMENTS, 'utf8').match(/^moka-py==(\S+)/m)?.[1]
  if (existsSync(PYTHON)) {
    const check = spawnSync(PYTHON, ['-c', 'import moka_py; print(moka_py.VERSION)'], { encoding: 'utf8' })
    if (check.status === 0 && check.stdout.trim() === pinned) return
  }
  console.log(`preparing ${VENV} with moka-py ${pinned} from PyPI …`)
  const venv = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' })
  if (venv.status !== 0) throw new Error(`python3 -m venv ${VENV} failed (Debian: apt-get install python3-venv): ${(venv.stderr || venv.error?.message || '').trim()}`)
  const pip = spawnSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', '-r', REQUIREMENTS], { encoding: 'utf8' })
  if (pip.status !== 0) throw new Error(`pip install -r benchmark/requirements.txt failed: ${(pip.stderr || pip.error?.message || '').trim().split('\n').slice(-3).join(' ')}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) preparePython()
