#!/usr/bin/env bash
# Issue-5 serving numbers on this machine's CPU: `bash scripts/bench-cpu-streams.sh MODEL.gguf [runs]`.
# 1) aggregate output tok/s and TTFT mean/p99 with 1, 8 and 32 concurrent streaming clients
#    against `tokenflow serve` (HTTP, SSE), median of `runs` runs each;
# 2) the engine's own time per step outside the forward pass with 32 streams (in-process);
# 3) the grammar's added time per step with 16 JSON-schema-constrained streams vs 16 plain ones.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: bench-cpu-streams.sh MODEL.gguf [runs]}
RUNS=${2:-3}
PORT=${PORT:-18080}
IN=${IN:-128}
OUT=${OUT:-64}
node bin/tokenflow.js serve --model "$MODEL" --port "$PORT" --max-num-seqs 64 >/tmp/tokenflow-bench-serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 1; done
summ() { node -e '
  const rs = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l).runs[0]);
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const f = (k) => med(rs.map(k));
  console.log(process.argv[1], "streams: throughput", f((r) => r.throughput_tok_s).toFixed(1), "tok/s, TTFT mean",
    f((r) => r.ttft_s.mean).toFixed(3), "s, p99", f((r) => r.ttft_s.p99).toFixed(3), "s (median of", rs.length, "runs)");
  if (rs[0].engine) console.log("  engine: step", f((r) => r.engine.step_ms_mean).toFixed(2), "ms, outside the forward pass",
    f((r) => r.engine.overhead_ms_mean).toFixed(3), "ms =", (100 * f((r) => r.engine.overhead_frac)).toFixed(2), "% of the step, masks",
    f((r) => r.engine.mask_ms_mean).toFixed(3), "ms/step (overlapping the forward pass)");' "$1"; }
for n in 1 8 32; do
  for _ in $(seq 1 "$RUNS"); do
    node bin/tokenflow.js bench serve --target "http://127.0.0.1:$PORT" --tokenizer "$MODEL" --workload "burst:$n" \
      --input-len "$IN" --output-len "$OUT" --json
  done | summ "$n"
done
kill $SERVER; trap - EXIT
echo "in-process (engine statistics):"
for _ in $(seq 1 "$RUNS"); do
  node bin/tokenflow.js bench serve --runtime cpu --model "$MODEL" --workload burst:32 --input-len "$IN" --output-len "$OUT" --json
done | summ "32 in-process"
SCHEMA=$(mktemp --suffix .json)
cat >"$SCHEMA" <<'JSON'
{"type":"object","properties":{"name":{"type":"string","maxLength":24},"age":{"type":"integer","minimum":0,"maximum":150},
 "tags":{"type":"array","items":{"enum":["a","b","c"]},"maxItems":4}},"required":["name","age","tags"],"additionalProperties":false}
JSON
for _ in $(seq 1 "$RUNS"); do
  node bin/tokenflow.js bench serve --runtime cpu --model "$MODEL" --workload burst:16 --input-len "$IN" --output-len "$OUT" --json
done | summ "16 plain"
for _ in $(seq 1 "$RUNS"); do
  node bin/tokenflow.js bench serve --runtime cpu --model "$MODEL" --workload burst:16 --input-len "$IN" --output-len "$OUT" \
    --json-schema "$SCHEMA" --json
done | summ "16 JSON-schema"
rm -f "$SCHEMA"
