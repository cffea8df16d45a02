"""One side of benchmark/instructions.mjs: a moka-py cache doing `reps`
batches of `ops` operations of one case, like
benchmark/lib/instructions-worker.mjs does with moka-js.

    python benchmark/instructions_worker.py <case> <reps> <capacity> <ops> <max_reps> <warmup>
"""

import sys

import moka_py

# LONG_PREFIX of benchmark/lib/instructions-cases.mjs.
LONG_PREFIX = "x" * 64


def main():
    case, reps, capacity, ops, max_reps, warmup = sys.argv[1], *map(int, sys.argv[2:7])
    long = case.endswith(" long")
    if long:
        # As benchmark/lib/instructions-worker.mjs: the needles are other str objects.
        stored = [f"{LONG_PREFIX}{i}" for i in range(capacity)]
        absent = [f"{LONG_PREFIX}{capacity + i}" for i in range(ops)]
    else:
        stored = [f"key:{i}" for i in range(capacity)]
        absent = [f"miss:{i}" for i in range(ops)]
    fresh = [f"new:{i}" for i in range(ops * (warmup + max_reps))]
    cache = moka_py.Moka(capacity)
    for k in stored:
        cache.set(k, k)
    get, set_, remove = cache.get, cache.set, cache.remove
    if long:
        picks = [f"{LONG_PREFIX}{(i * 7919) % capacity}" for i in range(ops)]
    else:
        picks = [stored[(i * 7919) % capacity] for i in range(ops)]
    hits = 0

    def get_hit(rep):
        nonlocal hits
        for k in picks:
            if get(k) is not None:
                hits += 1

    def get_miss(rep):
        nonlocal hits
        for k in absent:
            if get(k) is not None:
                hits += 1

    def set_update(rep):
        for i, k in enumerate(picks):
            set_(k, i)

    def set_evicting(rep):
        for i in range(rep * ops, (rep + 1) * ops):
            set_(fresh[i], i)

    def remove_hit(rep):
        nonlocal hits
        for i, k in enumerate(picks):
            if remove(k) is not None:
                hits += 1
            set_(k, i)

    batch = {
        "get hit": get_hit,
        "get miss": get_miss,
        "set update": set_update,
        "set evicting": set_evicting,
        "remove hit": remove_hit,
        "get hit long": get_hit,
        "get miss long": get_miss,
    }[case]
    for rep in range(warmup + reps):
        batch(rep)
    if case in ("get hit", "remove hit", "get hit long") and hits != (warmup + reps) * ops:
        raise SystemExit(f"{case}: {hits} hits of {(warmup + reps) * ops}")


if __name__ == "__main__":
    main()
