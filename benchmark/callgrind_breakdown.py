"""Where a native method's instructions go, per call, from a callgrind profile.

    python3 benchmark/callgrind_breakdown.py CALLGRIND_OUT [METHOD]

CALLGRIND_OUT is a profile of an addon built with line tables (see "Where a
`get` hit's instructions go" in docs/benchmarks.md for the build and the run);
METHOD is a cache method's Rust name (default `get`). Prints, per call of
`moka_js::methods::METHOD`: the whole call, the binding's own Rust (the
method's exclusive instructions, whatever source file the compiler inlined
them from), the core's own `get` when the method calls it (hit counter, value
copy, adaptive check), and each function the method and the core call
(inclusive: moka's `Cache::get`, each Node-API call).
"""

import os
import re
import subprocess
import sys

COST = r"\s*([\d,]+) \([^)]*\)\s+"
# `file:function` with no space in the file; the function may hold colons.
NAME = r"[^:\s]*:(\S+)"
CORE_GET = "moka_js::core::Core<D>::get"


def number(text):
    return int(text.replace(",", ""))


def annotate(profile, *options):
    return subprocess.run(
        ["callgrind_annotate", "--threshold=100", *options, os.path.abspath(profile)],
        # From `/`: run in the checkout, where it finds the sources, it gave
        # the method's exclusive cost in place of its inclusive one.
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def main(profile, method="get"):
    fn = f"moka_js::methods::{method}"
    own = {fn: 0, CORE_GET: 0}
    for line in annotate(profile).splitlines():
        m = re.match(COST + NAME, line)
        if m and m.group(2) in own:
            own[m.group(2)] += number(m.group(1))

    callees, calls = {}, None
    tree = annotate(profile, "--inclusive=yes", "--tree=calling")
    # The function itself (`[object]` after its name), not its inlined parts.
    whole = max(
        (number(m.group(1)) for m in re.finditer(COST + r"\*\s+" + NAME + r" \[", tree) if m.group(2) == fn),
        default=0,
    )
    for block in tree.split("\n\n"):
        lines = block.strip("\n").splitlines()
        head = next((l for l in lines if re.match(COST + r"\*", l)), None)
        if head is None:
            continue
        caller = re.match(COST + r"\*\s+" + NAME, head)
        if caller is None or caller.group(2) not in own:
            continue
        caller = caller.group(2)
        for l in lines:
            m = re.match(COST + r">\s+" + NAME + r" \(([\d,]+)x\)", l)
            if not m or m.group(2).startswith(fn) or m.group(2) == CORE_GET:
                continue
            callees[m.group(2)] = callees.get(m.group(2), 0) + number(m.group(1))
            if m.group(2) == "napi_get_cb_info":
                calls = number(m.group(3))
    if not calls:
        sys.exit(f"no call of {fn} reading its arguments in {profile}")
    print(f"{fn}: {calls:,} calls; per call:")
    print(f"  {whole / calls:8.1f}  the whole call")
    print(f"  {own[fn] / calls:8.1f}  the binding's own Rust")
    if own[CORE_GET]:
        print(f"  {own[CORE_GET] / calls:8.1f}  the core's own get (hit counter, value copy, adaptive check)")
    for name, cost in sorted(callees.items(), key=lambda kv: -kv[1]):
        print(f"  {cost / calls:8.1f}  {name}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
