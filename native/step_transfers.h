// Parsing of the KV transfers a step issues: `numTransfers` (absent = 0) and, when it is
// positive, the typed arrays `transferIds` (Int32Array [n], distinct), `transferIsLoad`
// (Uint8Array [n], 0 = store device -> host, 1 = load host -> device), `transferStart`
// (Int32Array [n + 1], 0 first, strictly increasing: transfer k owns block pairs
// transferStart[k] .. transferStart[k + 1] - 1), `transferDeviceBlocks` and
// `transferHostBlocks` (Int32Array [transferStart[n]], the pairs, in range of each pool).
// Checks against transfers in flight and against the step's rows are the Runner's
// (transfer_locks.h): this parser is stateless.
#pragma once

#include <napi.h>

#include "step_input.h"

namespace tokenflow {

// Most transfers one step may issue.
constexpr int kMaxStepTransfers = 1 << 20;

// Fills the transfer fields of `out` from `obj`, or throws Napi::Error naming the field.
void parse_step_transfers(const Napi::Object& obj, const StepLimits& limits, StepInput& out);

}  // namespace tokenflow
