"""moka-py's own benchmark matrix (its tests/test_benches.py), timed with
perf_counter_ns loops so that benchmark/moka-py.mjs can put moka-js beside it.

Cases (capacity 10,000, needles equal to but not identical with the stored
keys, cycled from a pool of 100): get hit/miss for int, short str and long
str keys; set int / set str (cycling 100,000 keys through the cache, so
mostly evicting inserts) / set replace (one hot key); get_with hit/miss;
remove hit (one set + one remove per iteration) / remove miss. The tuple-key
cases of the original are left out: JavaScript has no tuple keys.

Each case runs REPEATS timed loops of N operations; the result is ns per
operation (median and minimum over the repeats), loop overhead included.
Prints one JSON document on stdout.

    python benchmark/moka_py_bench.py [--quick]
"""

import gc
import json
import platform
import sys
import time
from itertools import count

import moka_py

QUICK = "--quick" in sys.argv
N = 30_000 if QUICK else 100_000
REPEATS = 3 if QUICK else 5
CAPACITY = 10_000
LONG_PREFIX = "x" * 64
NEEDLE_POOL = 100
POLICIES = ["tiny_lfu", "lru"]


def fresh_int(value):
    # Parsing defeats small-int caching and constant folding.
    return int(str(value))


def needles(make, start):
    pool = [make(fresh_int(i)) for i in range(start, start + NEEDLE_POOL)]
    return pool * (N // NEEDLE_POOL)


def prefilled(keys, policy):
    moka = moka_py.Moka(CAPACITY, policy=policy)
    for key in keys:
        moka.set(key, "value")
    return moka


def timed(fn):
    """Runs fn() (one loop of N ops) REPEATS times; ns/op median and min."""
    fn()  # warm-up
    samples = []
    for _ in range(REPEATS):
        gc.disable()
        t0 = time.perf_counter_ns()
        fn()
        t1 = time.perf_counter_ns()
        gc.enable()
        samples.append((t1 - t0) / N)
    samples.sort()
    return {"ns_median": samples[len(samples) // 2], "ns_min": samples[0], "samples": samples}


def get_loop(moka, seq):
    get = moka.get

    def run():
        for k in seq:
            get(k)

    return run


def make_cases(policy):
    int_key = lambda i: i
    short = lambda i: f"k{i}"
    long = lambda i: f"{LONG_PREFIX}{i}"
    cases = {}

    for name, make in (("int", int_key), ("short_str", short), ("long_str", long)):
        stored = [make(i) for i in range(CAPACITY)]
        cases[f"get_hit_{name}"] = lambda stored=stored, make=make: get_loop(prefilled(stored, policy), needles(make, 5000))
        cases[f"get_miss_{name}"] = lambda stored=stored, make=make: get_loop(prefilled(stored, policy), needles(make, 999_000))

    def set_cycling(keys):
        """Sets `keys` over and over: inserts that evict once the cache is full."""
        moka = moka_py.Moka(CAPACITY, policy=policy)
        seq = (keys * (N // len(keys) + 1))[:N]
        set_ = moka.set

        def run():
            for k in seq:
                set_(k, k)

        return run

    set_int = lambda: set_cycling(list(range(100_000)))
    set_str = lambda: set_cycling([str(i) for i in range(100_000)])

    def set_replace():
        moka = moka_py.Moka(CAPACITY, policy=policy)
        moka.set("hot", "value")
        set_ = moka.set
        rng = range(N)

        def run():
            for _ in rng:
                set_("hot", "value")

        return run

    def get_with_hit():
        moka = moka_py.Moka(CAPACITY, policy=policy)

        def init():
            return 5

        moka.get_with("hello", init)
        get_with = moka.get_with
        rng = range(N)

        def run():
            for _ in rng:
                get_with("hello", init)

        return run

    def get_with_miss():
        moka = moka_py.Moka(CAPACITY, policy=policy)
        keys = count()

        def init():
            return 5

        get_with = moka.get_with
        rng = range(N)

        def run():
            for _ in rng:
                get_with(next(keys), init)

        return run

    def remove_hit():
        moka = moka_py.Moka(CAPACITY, policy=policy)
        set_, remove = moka.set, moka.remove
        rng = range(N)

        def run():
            for _ in rng:
                set_(1, 1)
                remove(1)

        return run

    def remove_miss():
        moka = moka_py.Moka(CAPACITY, policy=policy)
        needle = fresh_int(999_999)
        remove = moka.remove
        rng = range(N)

        def run():
            for _ in rng:
                remove(needle)

        return run

    cases.update(
        set_int=set_int,
        set_str=set_str,
        set_replace=set_replace,
        get_with_hit=get_with_hit,
        get_with_miss=get_with_miss,
        remove_hit=remove_hit,
        remove_miss=remove_miss,
    )
    return cases


def empty_loop():
    seq = list(range(NEEDLE_POOL)) * (N // NEEDLE_POOL)

    def run():
        for k in seq:
            pass

    return run


def main():
    results = {}
    for policy in POLICIES:
        for name, setup in make_cases(policy).items():
            results.setdefault(name, {})[policy] = timed(setup())
    out = {
        "moka_py": getattr(moka_py, "VERSION", None),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "n": N,
        "repeats": REPEATS,
        "loop_overhead_ns": timed(empty_loop())["ns_median"],
        "results": results,
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
