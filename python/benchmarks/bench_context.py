"""Per-``ctx.run`` time of the same test under ops.testing and
charmbox.testing (peer-counter-py's leader start), and the cost of making
a Context (the build check). Prints numbers; run by hand:

    target/python/testing-venv/bin/python python/benchmarks/bench_context.py [runs]
"""

from __future__ import annotations

import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "peer-counter-py" / "src"))

from charm import PeerCounterCharm  # noqa: E402
from ops import testing as ops_testing  # noqa: E402

from charmbox import testing as charmbox_testing  # noqa: E402


def bench(testing, runs: int) -> tuple[float, list[float]]:
    t = time.perf_counter()
    ctx = testing.Context(PeerCounterCharm)
    made = time.perf_counter() - t
    peers = testing.PeerRelation("fastapi-peer")
    state = testing.State(leader=True, relations={peers})
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        ctx.run(ctx.on.start(), state)
        times.append(time.perf_counter() - t)
    return made, times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    print(f"peer-counter-py, start as leader with a peer relation, {runs} runs each")
    results = {}
    for name, testing in (("ops.testing", ops_testing), ("charmbox.testing", charmbox_testing)):
        made, times = bench(testing, runs)
        first, rest = times[0], times[1:] or times
        results[name] = statistics.median(rest)
        print(
            f"{name:>17}: Context() {made * 1e3:8.2f} ms, first run {first * 1e3:7.2f} ms, "
            f"median {statistics.median(rest) * 1e3:6.2f} ms, min {min(rest) * 1e3:6.2f} ms"
        )
    ratio = results["charmbox.testing"] / results["ops.testing"]
    print(f"charmbox.testing / ops.testing (median per run): {ratio:.2f}")


if __name__ == "__main__":
    main()
