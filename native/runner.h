// The Runner class exported to JavaScript: init(config) maps a model and sizes the KV pool,
// step(input) runs one forward pass + sampling off the event loop, dispose() frees everything.
// With `input.deferSampling`, step(input) runs the forward pass only and sample(input) (the same
// input object, its masks now filled) samples afterwards, so masks can be computed meanwhile.
// Both init and step return promises and never throw synchronously; bad input rejects with
// an Error naming the problem. One call at a time per Runner.
// With a host tier (config hostKvBytes), a step also issues KV transfers (step_transfers.h),
// started before its forward pass and run on the transfer engine's thread meanwhile; every
// step result reports the transfers completed since the previous report, and
// flushTransfers() waits for all of them (for an idle engine). A step without rows is allowed
// while it issues transfers or some are in flight: it waits until one completes.
#pragma once

#include <napi.h>

#include <memory>

#include "runner_core.h"
#include "step_input.h"

namespace tokenflow {

class Runner : public Napi::ObjectWrap<Runner> {
 public:
  // Adds the `Runner` constructor to exports.
  static void register_class(Napi::Env env, Napi::Object exports);
  explicit Runner(const Napi::CallbackInfo& info);

 private:
  friend class InitWorker;
  friend class StepWorker;
  friend class FlushWorker;

  Napi::Value init(const Napi::CallbackInfo& info);
  Napi::Value step(const Napi::CallbackInfo& info);
  Napi::Value sample(const Napi::CallbackInfo& info);
  Napi::Value flush_transfers(const Napi::CallbackInfo& info);  // runner_transfers.cc
  Napi::Value hold_transfers(const Napi::CallbackInfo& info);   // runner_transfers.cc
  Napi::Value dispose(const Napi::CallbackInfo& info);
  Napi::Value info(const Napi::CallbackInfo& info);
  Napi::Object info_object(Napi::Env env) const;
  StepLimits step_limits() const;
  // Called on the JS thread when a worker finishes.
  void finish_call();

  std::unique_ptr<RunnerCore> core_;
  bool busy_ = false;      // an init, step or flushTransfers is in flight
  bool disposed_ = false;  // dispose() was called (frees when no call is in flight)
  bool pending_sample_ = false;  // a deferred step's logits wait for sample()
  StepInput input_;
  StepOutput output_;
};

}  // namespace tokenflow
