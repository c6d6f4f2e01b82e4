#!/usr/bin/env bash
# TokenFlow ablation on the simulated runtime (the paper's Table 2 idea): full TokenFlow, no
# offload (every pause recomputes), no write-through (KV copied out only on pause), no
# load/evict overlap. `bash scripts/bench-ablation.sh` runs H200 (a) and RTX 4090 (b).
set -euo pipefail
cd "$(dirname "$0")"
ONLY='^(H200\(a\)|4090\(b\))' bash bench-table1.sh \
  fcfs,tokenflow,tokenflow-recompute,tokenflow-no-writethrough,tokenflow-no-overlap "$@"
