#!/usr/bin/env bash
# The TokenFlow paper's Table 1 setups on the simulated runtime (virtual time), one line per
# setup and scheduler: `bash scripts/bench-table1.sh [schedulers] [extra bench serve flags]`.
# Lengths are normal with a standard deviation of a quarter of the mean; readers at 15, 20,
# 25 or 30 tok/s (equal shares); H200 outputs are twice the RTX 4090 ones, as in the paper.
# ONLY=REGEX runs only the setups whose names match (e.g. ONLY='H200\(a\)').
set -euo pipefail
cd "$(dirname "$0")/.."
SCHEDULERS="${1:-fcfs,fcfs-nochunk,tokenflow}"
shift || true
EXTRA=("$@")
RATES="15:0.25,20:0.25,25:0.25,30:0.25"
run() { # name profile workload input output [num-requests]
  local name=$1 profile=$2 workload=$3 input=$4 output=$5 n=${6:-}
  [[ -n "${ONLY:-}" && ! "$name" =~ $ONLY ]] && return 0
  node bin/tokenflow.js bench serve --runtime sim --profile "$profile" --workload "$workload" \
    ${n:+--num-requests "$n"} --input-len "$input" --output-len "$output" --rates "$RATES" \
    --schedulers "$SCHEDULERS" --seed 1 --json ${EXTRA[@]+"${EXTRA[@]}"} |
    node -e '
      const r = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const base = r.runs[0];
      for (const s of r.runs) {
        const f = (x) => x.toFixed(1);
        console.log([process.argv[1], s.scheduler.padEnd(26), "ttft mean/p99", f(s.ttft_s.mean), f(s.ttft_s.p99),
          "| eff", f(s.effective_throughput_tok_s), "raw", f(s.throughput_tok_s),
          "| x", (s.ttft_s.p99 / base.ttft_s.p99).toFixed(2), (s.effective_throughput_tok_s / base.effective_throughput_tok_s).toFixed(2),
          (s.throughput_tok_s / base.throughput_tok_s).toFixed(2), "| rebuf s", f(s.rebuffer.seconds),
          "| preempt", JSON.stringify(s.preemptions), "| wall", f(s.wall_s)].join(" "));
      }' "$name"
}
run "4090(a) burst60 SL " rtx4090-llama3-8b burst:60 normal:512:128 normal:1024:256
run "4090(b) burst80 LL " rtx4090-llama3-8b burst:80 normal:1024:256 normal:2048:512
run "4090(c) poisson2 SL" rtx4090-llama3-8b poisson:2 normal:512:128 normal:1024:256 200
run "4090(d) poisson4 SL" rtx4090-llama3-8b poisson:4 normal:512:128 normal:1024:256 200
run "H200(a) burst400 SL" h200-llama3-8b burst:400 normal:512:128 normal:2048:512
run "H200(b) burst200 LL" h200-llama3-8b burst:200 normal:1024:256 normal:4096:1024
run "H200(c) poisson5 SL" h200-llama3-8b poisson:5 normal:512:128 normal:2048:512 400
run "H200(d) poisson10 SL" h200-llama3-8b poisson:10 normal:512:128 normal:2048:512 400
