"""moka-py's own benchmark matrix (its tests/test_benches.py), as a worker
that benchmark/moka-py.mjs drives, so that moka-py and moka-js are measured
interleaved, round by round.

Cases (capacity 10,000, needles equal to but not identical with the stored
keys, cycled from a pool of 100): get hit/miss for int, short str and long
str keys; set int / set str (cycling 100,000 keys through the cache, so
mostly evicting inserts) / set replace (one hot key); get_with hit/miss;
remove hit (one set + one remove per iteration) / remove miss; and the
empty loop. The tuple-key cases of the original are left out: JavaScript
has no tuple keys.

Protocol, one JSON document per line: the worker first prints its versions;
then for each request {"case", "policy", "listener", "ops", "samples"} it times
`samples` loops of `ops` operations (GC off while timing; the case is set
up and warmed up on its first request) and prints {"ns": median ns/op}.

    python benchmark/moka_py_bench.py < requests.jsonl
"""

import gc
import json
import platform
import sys
import time
from itertools import count

import moka_py

CAPACITY = 10_000
LONG_PREFIX = "x" * 64
NEEDLE_POOL = 100


def fresh_int(value):
    # Parsing defeats small-int caching and constant folding.
    return int(str(value))


def cycled(pool, ops):
    return (pool * (ops // len(pool) + 1))[:ops]


def on_evict(key, value, cause):
    pass


def new_moka(config):
    """A cache of the requested configuration: policy, and a no-op listener or none."""
    if config["listener"]:
        return moka_py.Moka(CAPACITY, policy=config["policy"], eviction_listener=on_evict)
    return moka_py.Moka(CAPACITY, policy=config["policy"])


def prefilled(keys, config):
    moka = new_moka(config)
    for key in keys:
        moka.set(key, "value")
    return moka


def get_case(make, start):
    def setup(config, ops):
        moka = prefilled([make(i) for i in range(CAPACITY)], config)
        seq = cycled([make(fresh_int(i)) for i in range(start, start + NEEDLE_POOL)], ops)
        get = moka.get

        def run():
            for k in seq:
                get(k)

        return run

    return setup


def set_cycling(make):
    """Sets 100,000 keys over and over: inserts that evict once the cache is full."""

    def setup(config, ops):
        moka = new_moka(config)
        keys = [make(i) for i in range(100_000)]
        # Consecutive runs continue through the keys: chunk i starts at i * ops.
        chunks = [[keys[(i * ops + j) % len(keys)] for j in range(ops)] for i in range(max(1, len(keys) // ops))]
        set_ = moka.set
        turn = count()

        def run():
            for k in chunks[next(turn) % len(chunks)]:
                set_(k, k)

        return run

    return setup


def set_replace(config, ops):
    moka = new_moka(config)
    moka.set("hot", "value")
    set_ = moka.set
    rng = range(ops)

    def run():
        for _ in rng:
            set_("hot", "value")

    return run


def init():
    return 5


def get_with_hit(config, ops):
    moka = new_moka(config)
    moka.get_with("hello", init)
    get_with = moka.get_with
    rng = range(ops)

    def run():
        for _ in rng:
            get_with("hello", init)

    return run


def get_with_miss(config, ops):
    moka = new_moka(config)
    keys = count()
    get_with = moka.get_with
    rng = range(ops)

    def run():
        for _ in rng:
            get_with(next(keys), init)

    return run


def remove_hit(config, ops):
    moka = new_moka(config)
    set_, remove = moka.set, moka.remove
    rng = range(ops)

    def run():
        for _ in rng:
            set_(1, 1)
            remove(1)

    return run


def remove_miss(config, ops):
    moka = new_moka(config)
    needle = fresh_int(999_999)
    remove = moka.remove
    rng = range(ops)

    def run():
        for _ in rng:
            remove(needle)

    return run


def loop(config, ops):
    seq = cycled(list(range(NEEDLE_POOL)), ops)

    def run():
        for _ in seq:
            pass

    return run


CASES = {"loop": loop}
for name, make in (("int", lambda i: i), ("short_str", lambda i: f"k{i}"), ("long_str", lambda i: f"{LONG_PREFIX}{i}")):
    CASES[f"get_hit_{name}"] = get_case(make, 5000)
    CASES[f"get_miss_{name}"] = get_case(make, 999_000)
CASES.update(
    set_int=set_cycling(lambda i: i),
    set_str=set_cycling(str),
    set_replace=set_replace,
    get_with_hit=get_with_hit,
    get_with_miss=get_with_miss,
    remove_hit=remove_hit,
    remove_miss=remove_miss,
)


def sample(run, ops, samples):
    ns = []
    for _ in range(samples):
        gc.disable()
        t0 = time.perf_counter_ns()
        run()
        t1 = time.perf_counter_ns()
        gc.enable()
        ns.append((t1 - t0) / ops)
    ns.sort()
    return ns[len(ns) // 2]


def main():
    print(json.dumps({"moka_py": getattr(moka_py, "VERSION", None), "python": platform.python_version(), "implementation": platform.python_implementation(), "cases": list(CASES)}), flush=True)
    runs = {}
    for line in sys.stdin:
        request = json.loads(line)
        config = {"policy": request["policy"], "listener": request.get("listener", False)}
        key = (request["case"], config["policy"], config["listener"], request["ops"])
        if key not in runs:
            runs[key] = CASES[request["case"]](config, request["ops"])
            runs[key]()  # warm-up
        print(json.dumps({"ns": sample(runs[key], request["ops"], request["samples"])}), flush=True)


if __name__ == "__main__":
    main()
