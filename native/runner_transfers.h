// The JavaScript side of KV transfer completions: the report fields every step result and
// flushTransfers() carry. Runner::flush_transfers lives in runner_transfers.cc as well.
#pragma once

#include <napi.h>

#include <vector>

#include "transfer_engine.h"

namespace tokenflow {

// Sets on `target`: completedTransferIds (Int32Array), completedTransferIsLoad (Uint8Array,
// 1 = load), completedTransferBytes,
// completedTransferMs (copy time), completedTransferLatencyMs (issue to completion) (Float64Array
// each, one entry per transfer in completion order), and the totals transferBytes and
// transferMs (sum of copy times).
void set_transfer_report(Napi::Object& target, const std::vector<TransferDone>& done);

}  // namespace tokenflow
