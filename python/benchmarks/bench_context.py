"""Per-``ctx.run`` time of the same test under ops.testing and
charmbox.testing (peer-counter-py's leader start), the cost of making a
Context (the build check), and two pytest sessions of a charm whose source
just changed (the first builds, the second finds the build up to date).
Prints numbers; run by hand:

    target/python/testing-venv/bin/python python/benchmarks/bench_context.py [runs]
"""

from __future__ import annotations

import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    sessions()


def sessions() -> None:
    """Two pytest sessions of tests/charms/testing-py, copied outside the
    workspace with a changed source: the first builds the charm."""
    with tempfile.TemporaryDirectory(prefix="charmbox-bench-") as tmp:
        charm = pathlib.Path(tmp) / "testing-py"
        shutil.copytree(ROOT / "tests" / "charms" / "testing-py", charm)
        src = charm / "src" / "charm.py"
        src.write_text(src.read_text() + f"\n# bench {time.time_ns()}\n")
        for n in (1, 2):
            t = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(charm / "tests" / "unit")],
                capture_output=True,
                text=True,
            )
            took = time.perf_counter() - t
            last = (done.stdout.strip().splitlines() or ["?"])[-1]
            print(f"pytest session {n} (testing-py, both libraries): {took:6.2f} s  [{last}]")


if __name__ == "__main__":
    main()
