// What benchmark/instructions.mjs counts, shared by its workers (the Python
// worker, benchmark/instructions_worker.py, takes them as arguments).
export const CASES = ['get hit', 'get miss', 'set update', 'set evicting']
/**
 * Cases run only when named (`--cases`), and kept out of the published table:
 * `remove hit` removes a stored key and sets it back, the pair counted as one
 * operation, as moka-py's own `remove_hit` (benchmark/moka-py.mjs) counts it;
 * `get hit long` and `get miss long` read long string keys,
 * `${LONG_PREFIX}${i}`, the needles built by concatenation apart from the
 * stored keys, as benchmark/moka-py.mjs builds its long keys.
 */
export const ON_REQUEST = ['remove hit', 'get hit long', 'get miss long']
/** The cases whose every operation must hit. */
export const HITTING = ['get hit', 'remove hit', 'get hit long']
export const LONG_PREFIX = 'x'.repeat(64)
/** Entries held; string keys `key:${i}`. */
export const CAPACITY = 10_000
/** Operations per batch. */
export const OPS = 20_000
/** Batches run first in both runs (V8 optimizes the loop meanwhile). */
export const WARMUP = 3
/** Batches in the long run; the short run does one. */
export const MAX_REPS = 11
