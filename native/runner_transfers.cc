#include "runner_transfers.h"

#include <string>

#include "runner.h"

namespace tokenflow {

void set_transfer_report(Napi::Object& target, const std::vector<TransferDone>& done) {
  const Napi::Env env = target.Env();
  const size_t n = done.size();
  Napi::Int32Array ids = Napi::Int32Array::New(env, n);
  Napi::Uint8Array is_load = Napi::Uint8Array::New(env, n);
  Napi::Float64Array bytes = Napi::Float64Array::New(env, n);
  Napi::Float64Array copy_ms = Napi::Float64Array::New(env, n);
  Napi::Float64Array latency_ms = Napi::Float64Array::New(env, n);
  double total_bytes = 0.0;
  double total_ms = 0.0;
  for (size_t i = 0; i < n; ++i) {
    ids[i] = done[i].id;
    is_load[i] = done[i].is_load ? 1 : 0;
    bytes[i] = static_cast<double>(done[i].bytes);
    copy_ms[i] = done[i].copy_ms;
    latency_ms[i] = done[i].latency_ms;
    total_bytes += static_cast<double>(done[i].bytes);
    total_ms += done[i].copy_ms;
  }
  target.Set("completedTransferIds", ids);
  target.Set("completedTransferIsLoad", is_load);
  target.Set("completedTransferBytes", bytes);
  target.Set("completedTransferMs", copy_ms);
  target.Set("completedTransferLatencyMs", latency_ms);
  target.Set("transferBytes", total_bytes);
  target.Set("transferMs", total_ms);
}

// Waits off the event loop until both transfer queues are empty, then reports completions.
class FlushWorker : public Napi::AsyncWorker {
 public:
  explicit FlushWorker(Runner* runner)
      : Napi::AsyncWorker(runner->Env(), "tokenflow.Runner.flushTransfers"),
        runner_(runner),
        self_(Napi::Persistent(runner->Value())),
        deferred_(Napi::Promise::Deferred::New(runner->Env())) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override { runner_->core_->wait_transfers(); }
  void OnOK() override {
    Napi::Env env = Env();
    const bool disposed = runner_->disposed_;
    std::vector<TransferDone> done;
    if (!disposed) runner_->core_->take_transfers(done);
    runner_->finish_call();
    if (disposed) {
      deferred_.Reject(Napi::Error::New(env, "runner was disposed while flushTransfers waited").Value());
      return;
    }
    Napi::Object r = Napi::Object::New(env);
    set_transfer_report(r, done);
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override {
    runner_->finish_call();
    deferred_.Reject(e.Value());
  }

 private:
  Runner* runner_;
  Napi::ObjectReference self_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Runner::flush_transfers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto d = Napi::Promise::Deferred::New(env);
  std::string problem;
  if (disposed_) problem = "runner is disposed";
  else if (busy_) problem = "a step is already running on this runner (flushTransfers waits for an idle runner)";
  else if (!core_) problem = "runner is not initialized: await init(config) first";
  if (!problem.empty()) {
    d.Reject(Napi::Error::New(env, problem).Value());
    return d.Promise();
  }
  auto* worker = new FlushWorker(this);
  busy_ = true;
  worker->Queue();
  return worker->promise();
}

Napi::Value Runner::hold_transfers(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), "holdTransfersForTest(hold): hold must be a boolean");
  }
  if (core_ && !disposed_) core_->hold_transfers(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

}  // namespace tokenflow
