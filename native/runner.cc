#include "runner.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "runner_config.h"
#include "runner_transfers.h"

namespace tokenflow {

namespace {

Napi::Value rejected(Napi::Env env, const Napi::Value& error) {
  auto d = Napi::Promise::Deferred::New(env);
  d.Reject(error);
  return d.Promise();
}

Napi::Value rejected(Napi::Env env, const std::string& message) {
  return rejected(env, Napi::Error::New(env, message).Value());
}

// Copies `src` into the typed array obj[key] (re-checked: the caller may have replaced it).
template <typename T>
void write_back(const Napi::Object& obj, const char* key, napi_typedarray_type type, const std::vector<T>& src) {
  const Napi::Value v = obj.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type ||
      v.As<Napi::TypedArray>().ElementLength() < src.size()) {
    throw Napi::Error::New(obj.Env(), std::string(key) + " changed while the step ran");
  }
  const Napi::TypedArray a = v.As<Napi::TypedArray>();
  if (!src.empty()) {
    std::memcpy(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(), src.data(), src.size() * sizeof(T));
  }
}

}  // namespace

class InitWorker : public Napi::AsyncWorker {
 public:
  InitWorker(Runner* runner, RunnerConfig config)
      : Napi::AsyncWorker(runner->Env(), "tokenflow.Runner.init"),
        runner_(runner),
        self_(Napi::Persistent(runner->Value())),
        config_(std::move(config)),
        deferred_(Napi::Promise::Deferred::New(runner->Env())) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override {
    try {
      core_ = std::make_unique<RunnerCore>(config_.model, config_.tensors, config_.options);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    runner_->core_ = std::move(core_);
    runner_->finish_call();
    if (runner_->core_) deferred_.Resolve(runner_->info_object(Env()));
    else deferred_.Reject(Napi::Error::New(Env(), "runner was disposed during init").Value());
  }
  void OnError(const Napi::Error& e) override {
    runner_->finish_call();
    deferred_.Reject(e.Value());
  }

 private:
  Runner* runner_;
  Napi::ObjectReference self_;
  RunnerConfig config_;
  std::unique_ptr<RunnerCore> core_;
  Napi::Promise::Deferred deferred_;
};

// What a StepWorker runs: a whole step, its forward pass only, or the sampling of a deferred one.
enum class StepPhase { Whole, ForwardOnly, SampleOnly };

class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Runner* runner, const Napi::Object& input, StepPhase phase)
      : Napi::AsyncWorker(runner->Env(), "tokenflow.Runner.step"),
        runner_(runner),
        self_(Napi::Persistent(runner->Value())),
        input_(Napi::Persistent(input)),
        deferred_(Napi::Promise::Deferred::New(runner->Env())),
        phase_(phase) {}
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override {
    try {
      RunnerCore& core = *runner_->core_;
      if (phase_ == StepPhase::Whole) core.step(runner_->input_, runner_->output_);
      if (phase_ == StepPhase::ForwardOnly) core.forward(runner_->input_, runner_->output_);
      if (phase_ == StepPhase::SampleOnly) core.sample(runner_->input_, runner_->output_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object r;
    try {
      r = result(env);
    } catch (const Napi::Error& e) {
      // Completions stay queued for the next report.
      runner_->finish_call();
      runner_->pending_sample_ = false;
      deferred_.Reject(e.Value());
      return;
    }
    std::vector<TransferDone> done;
    if (runner_->core_ && !runner_->disposed_) runner_->core_->take_transfers(done);
    runner_->finish_call();
    runner_->pending_sample_ = phase_ == StepPhase::ForwardOnly;
    set_transfer_report(r, done);
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error& e) override {
    runner_->finish_call();
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Object result(Napi::Env env) {
    const Napi::Object in = input_.Value();
    const StepOutput& out = runner_->output_;
    Napi::Object r = Napi::Object::New(env);
    r.Set("numSampled", static_cast<double>(runner_->input_.sampled_rows.size()));
    r.Set("forwardMs", out.forward_ms);
    r.Set("sampleMs", out.sample_ms);
    if (phase_ == StepPhase::ForwardOnly) return r;
    write_back(in, "outTokens", napi_int32_array, out.tokens);
    write_back(in, "outLogprobs", napi_float32_array, out.logprobs);
    write_back(in, "outTopIds", napi_int32_array, out.top_ids);
    write_back(in, "outTopLogprobs", napi_float32_array, out.top_logprobs);
    if (runner_->input_.want_logits) write_back(in, "logitsOut", napi_float32_array, out.logits);
    return r;
  }

  Runner* runner_;
  Napi::ObjectReference self_;
  Napi::ObjectReference input_;
  Napi::Promise::Deferred deferred_;
  StepPhase phase_;
};

void Runner::register_class(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = DefineClass(env, "Runner",
                                   {InstanceMethod("init", &Runner::init), InstanceMethod("step", &Runner::step),
                                    InstanceMethod("sample", &Runner::sample),
                                    InstanceMethod("flushTransfers", &Runner::flush_transfers),
                                    InstanceMethod("holdTransfersForTest", &Runner::hold_transfers),
                                    InstanceMethod("dispose", &Runner::dispose), InstanceMethod("info", &Runner::info)});
  exports.Set("Runner", cls);
}

Runner::Runner(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Runner>(info) {}

void Runner::finish_call() {
  busy_ = false;
  if (disposed_) core_.reset();
}

Napi::Object Runner::info_object(Napi::Env env) const {
  Napi::Object o = Napi::Object::New(env);
  o.Set("numBlocks", static_cast<double>(core_->kv().num_blocks()));
  o.Set("blockBytes", static_cast<double>(core_->kv().block_bytes()));
  o.Set("blockTokens", static_cast<double>(kKvBlockTokens));
  o.Set("numHostBlocks", static_cast<double>(core_->num_host_blocks()));
  o.Set("numThreads", static_cast<double>(core_->num_threads()));
  o.Set("isa", isa_name(core_->isa()));
  o.Set("vocabSize", static_cast<double>(core_->config().vocab_size));
  o.Set("maxBatchTokens", static_cast<double>(core_->max_batch_tokens()));
  o.Set("kvDtype", core_->kv().dtype() == KvDType::F16 ? "f16" : "f32");
  return o;
}

StepLimits Runner::step_limits() const {
  StepLimits lim;
  lim.vocab_size = core_->config().vocab_size;
  lim.num_blocks = core_->kv().num_blocks();
  lim.max_batch_tokens = core_->max_batch_tokens();
  lim.num_host_blocks = core_->num_host_blocks();
  return lim;
}

Napi::Value Runner::init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposed_) return rejected(env, "runner is disposed");
  if (busy_) return rejected(env, "runner is busy: init or a step is already in flight");
  if (core_) return rejected(env, "runner is already initialized");
  if (info.Length() < 1 || !info[0].IsObject()) return rejected(env, "init(config): config must be an object");
  try {
    RunnerConfig config = parse_runner_config(info[0].As<Napi::Object>());
    auto* worker = new InitWorker(this, std::move(config));
    busy_ = true;
    worker->Queue();
    return worker->promise();
  } catch (const Napi::Error& e) {
    return rejected(env, e.Value());
  }
}

Napi::Value Runner::step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposed_) return rejected(env, "runner is disposed");
  if (busy_) return rejected(env, "a step is already running on this runner (one step at a time)");
  if (!core_) return rejected(env, "runner is not initialized: await init(config) first");
  if (info.Length() < 1 || !info[0].IsObject()) return rejected(env, "step(input): input must be an object");
  const Napi::Object input = info[0].As<Napi::Object>();
  try {
    parse_step_input(input, step_limits(), input_);
    if (input_.num_rows == 0 && input_.num_transfers == 0 && core_->num_transfers_in_flight() == 0) {
      throw Napi::Error::New(env, "numRows is 0, but a step without rows must issue transfers or have some in flight");
    }
    core_->check_transfers(input_);
  } catch (const Napi::Error& e) {
    return rejected(env, Napi::Error::New(env, std::string("step input: ") + e.Message()).Value());
  } catch (const std::invalid_argument& e) {
    return rejected(env, std::string("step input: ") + e.what());
  }
  // Transfers start now, before the forward pass is even queued.
  core_->issue_transfers(input_);
  pending_sample_ = false;
  auto* worker = new StepWorker(this, input, input_.defer_sampling ? StepPhase::ForwardOnly : StepPhase::Whole);
  busy_ = true;
  worker->Queue();
  return worker->promise();
}

Napi::Value Runner::sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (disposed_) return rejected(env, "runner is disposed");
  if (busy_) return rejected(env, "a step is already running on this runner (one step at a time)");
  if (!core_ || !pending_sample_) return rejected(env, "sample(input) needs a step run with deferSampling first");
  if (info.Length() < 1 || !info[0].IsObject()) return rejected(env, "sample(input): input must be an object");
  const Napi::Object input = info[0].As<Napi::Object>();
  try {
    parse_step_masks(input, step_limits(), input_);
  } catch (const Napi::Error& e) {
    return rejected(env, Napi::Error::New(env, std::string("sample input: ") + e.Message()).Value());
  }
  pending_sample_ = false;
  auto* worker = new StepWorker(this, input, StepPhase::SampleOnly);
  busy_ = true;
  worker->Queue();
  return worker->promise();
}

Napi::Value Runner::dispose(const Napi::CallbackInfo& info) {
  disposed_ = true;
  // Queued copies are abandoned and a waiting flushTransfers (or row-less step) wakes up.
  if (core_) core_->stop_transfers();
  if (!busy_) core_.reset();
  return info.Env().Undefined();
}

Napi::Value Runner::info(const Napi::CallbackInfo& info) {
  if (!core_) return info.Env().Null();
  return info_object(info.Env());
}

}  // namespace tokenflow
