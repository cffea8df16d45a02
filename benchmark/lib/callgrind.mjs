// Instructions a command executes, counted by valgrind's callgrind: figures
// that do not move with the machine's load.
import { spawnSync } from 'node:child_process'

export function instructions(command) {
  const run = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', ...command], { encoding: 'utf8', maxBuffer: 64 << 20 })
  const collected = run.stderr.match(/Collected : (\d+)/)
  if (run.status !== 0 || !collected) throw new Error(`${command.join(' ')} under callgrind failed (status ${run.status}):\n${run.stderr.split('\n').slice(-8).join('\n')}`)
  return Number(collected[1])
}
