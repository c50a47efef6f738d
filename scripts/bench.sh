#!/usr/bin/env bash
# Issue 19's figures in one run, by hand (heavy: a few minutes; not in CI):
#  1. a Python charm's event in charmbox against the same event under ops'
#     Scenario (`bench --vs-scenario`; target ratio <= 1.0);
#  2. the Rust charm of the same logic, with the ratio of Scenario's time
#     for the Python charm to the Rust dispatch (`bench --scenario-baseline`;
#     target >= 200 x);
#  3. the simulator: a 3 x 3 model settled and the sustained rate of a
#     1,000-unit model (`bench-sim`; target >= 50,000 hooks/s);
#  4. the same with concurrent hooks (`bench-sim --concurrent-hooks 64`).
# Usage: scripts/bench.sh [ITERATIONS]  (default 2000 Rust, a tenth Python)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-2000}"
case "$n" in
  '' | *[!0-9]*) echo "usage: scripts/bench.sh [ITERATIONS]" >&2; exit 2 ;;
esac
bash scripts/setup.sh
cargo build --release --locked -p charmbox
cb=target/release/charmbox
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for charm in examples/peer-counter examples/peer-counter-py examples/ping-pong; do
  $cb build "$charm" >/dev/null
done
cat > "$work/leader.json" <<'JSON'
{"leader": true, "relations": [{"id": 3, "endpoint": "fastapi-peer", "local_app_data": {}}]}
JSON

echo "== 1. Python: peer-counter-py start, charmbox vs Scenario"
$cb bench --charm examples/peer-counter-py --state "$work/leader.json" \
  --iterations $(( n / 10 > 0 ? n / 10 : 1 )) --vs-scenario
echo "== 2. Rust: peer-counter start, against Scenario running peer-counter-py"
$cb bench --charm examples/peer-counter --state "$work/leader.json" \
  --iterations "$n" --scenario-baseline examples/peer-counter-py
echo "== 3. The simulator (target: 50,000 hooks/s on the 1,000-unit model)"
$cb bench-sim --runs 5 --seconds 5
echo "== 4. The simulator with up to 64 concurrent hooks (docs/simulator.md)"
$cb bench-sim --runs 5 --seconds 5 --concurrent-hooks 64
