#!/usr/bin/env bash
# Our server against the node-llama-cpp peer server on the same machine and model:
#   bash scripts/bench-peer.sh MODEL.gguf [runs]
# Each server is started alone, given one burst of BURST streaming requests (IN prompt tokens,
# OUT output tokens, readers at RATE tok/s), and stopped; every setup runs `runs` times and the
# medians are printed. Setups: node-llama-cpp with 4 and BURST parallel sequences; tokenflow
# fcfs with the default KV cache; fcfs and tokenflow with a device tier of KV_MEM and a host tier
# of HOST_MEM (the issue-7 setting, where the device tier holds about a quarter of the burst).
# Run it on a quiet machine: node-llama-cpp's CPU threads collapse when anything else runs.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: bench-peer.sh MODEL.gguf [runs]}
RUNS=${2:-3}
BURST=${BURST:-16} IN=${IN:-64} OUT=${OUT:-64} RATE=${RATE:-1}
KV_MEM=${KV_MEM:-8M} HOST_MEM=${HOST_MEM:-256M}
PORT=${PORT:-18080}
ONLY=${ONLY:-.}
RESULTS=$(mktemp)
wait_up() { for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && return 0; sleep 1; done; return 1; }
one() { # label, then the server command
  local label=$1; shift
  [[ $label =~ $ONLY ]] || return 0
  for _ in $(seq 1 "$RUNS"); do
    "$@" --port "$PORT" >"/tmp/tokenflow-bench-peer-$label.log" 2>&1 &
    local server=$!
    wait_up || { echo "$label: server did not start (see /tmp/tokenflow-bench-peer-$label.log)" >&2; kill $server; exit 1; }
    node bin/tokenflow.js bench serve --target "http://127.0.0.1:$PORT" --tokenizer "$MODEL" --workload "burst:$BURST" \
      --input-len "$IN" --output-len "$OUT" --rates "$RATE" --seed 1 --json --schedulers "$label" | tee -a "$RESULTS" >/dev/null
    kill $server; wait $server 2>/dev/null || true
  done
}
one node-llama-cpp-4seq node bin/tokenflow.js bench peer-server --model "$MODEL" --sequences 4
one "node-llama-cpp-${BURST}seq" node bin/tokenflow.js bench peer-server --model "$MODEL" --sequences "$BURST"
one tokenflow-fcfs node bin/tokenflow.js serve --model "$MODEL" --scheduler fcfs
one "tokenflow-fcfs-kv$KV_MEM" node bin/tokenflow.js serve --model "$MODEL" --scheduler fcfs --kv-cache-memory "$KV_MEM"
one "tokenflow-tokenflow-kv$KV_MEM" node bin/tokenflow.js serve --model "$MODEL" --scheduler tokenflow \
  --kv-cache-memory "$KV_MEM" --host-kv-memory "$HOST_MEM" --default-consumption-rate "$RATE"
node -e '
  const rows = new Map();
  for (const line of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) {
    const r = JSON.parse(line).runs[0];
    rows.set(r.scheduler, [...(rows.get(r.scheduler) ?? []), r]);
  }
  const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`burst ${process.argv[2]}, median of ${process.argv[3]} runs each`);
  console.log("| server | TTFT mean s | TTFT p99 s | raw tok/s | effective tok/s | read tok/s | rebuffer s | longest stall p99 s | QoE |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const [name, rs] of rows) {
    const f = (k, d = 2) => med(rs.map(k)).toFixed(d);
    console.log(`| ${name} | ${f((r) => r.ttft_s.mean)} | ${f((r) => r.ttft_s.p99)} | ${f((r) => r.throughput_tok_s, 1)} | ${f((r) => r.effective_throughput_tok_s, 1)} | ${f((r) => r.read_goodput_tok_s, 1)} | ${f((r) => r.rebuffer.seconds, 1)} | ${f((r) => r.max_stall_s.p99)} | ${f((r) => r.qoe_mean)} |`);
  }' "$RESULTS" "$BURST:$IN/$OUT tokens, readers at $RATE tok/s" "$RUNS"
