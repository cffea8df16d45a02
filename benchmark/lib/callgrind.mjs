// Instructions a command executes, counted by valgrind's callgrind: figures
// that do not move with the machine's load.
import { spawnSync } from 'node:child_process'
import { machine as arch } from 'node:os'

/**
 * Node with its hash and random seeds fixed, so that two runs build the same
 * heap and the same hash tables (moka's own hasher stays seeded at random),
 * and V8's collections scheduled by allocation alone: without
 * `--predictable-gc-schedule`, heap growth and the memory reducer follow the
 * clock, which valgrind slows by the machine's load, and one process counted
 * a full mark-compact (140 M instructions) that the next did not.
 * `--expose-gc`: the workers collect at a fixed point after setup.
 */
export const NODE = ['node', '--single-threaded', '--hash-seed=1', '--random-seed=1', '--predictable-gc-schedule', '--expose-gc']

export function instructions(command, env = {}) {
  // setarch -R: no address-space randomization, so that every run lays out memory alike.
  const run = spawnSync('setarch', [arch(), '-R', 'valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', ...command], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    // Python's string hashing seeded too, for the moka-py side.
    env: { ...process.env, PYTHONHASHSEED: '0', ...env },
  })
  const collected = run.stderr.match(/Collected : (\d+)/)
  if (run.status !== 0 || !collected) throw new Error(`${command.join(' ')} under callgrind failed (status ${run.status}):\n${run.stderr.split('\n').slice(-8).join('\n')}`)
  return Number(collected[1])
}
