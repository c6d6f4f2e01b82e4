/**
 * Feeds a workload into an in-process engine at the requests' arrival times.
 *
 * Virtual time: time moves only while the runtime "computes" (its steps sleep on the virtual
 * clock). After each engine `step` event, every request whose arrival has passed is submitted
 * (it waited for the step in flight, as it would on a real server); when the engine has nothing
 * left to do, the clock jumps to the next arrival. Real time: each request is submitted when the
 * clock reaches its arrival.
 */
import type { Engine } from "../engine/engine.js";
import type { Clock, VirtualClock } from "../runtime/runtime.js";
import { dispatchInRealTime } from "./bench-target.js";
import type { BenchRequest } from "./bench-types.js";
import type { EngineRecorder } from "./engine-recorder.js";

/** Submits one request (records a refusal itself; never throws). */
export type SubmitFn = (req: BenchRequest) => void;

/** Runs `requests` (arrival order) in virtual time; resolves when every request has ended. */
export async function pumpVirtual(
  engine: Engine,
  clock: VirtualClock,
  originMs: number,
  requests: readonly BenchRequest[],
  recorder: EngineRecorder,
  submit: SubmitFn,
): Promise<void> {
  let next = 0;
  const dueMs = (i: number) => originMs + (requests[i] as BenchRequest).arrivalS * 1000;
  const submitDue = () => {
    while (next < requests.length && dueMs(next) <= clock.now() + 1e-6)
      submit(requests[next++] as BenchRequest);
  };
  engine.events.on("step", submitDue);
  try {
    submitDue();
    while (next < requests.length) {
      // Resumes in a microtask after the last request ended, before the engine loop's next turn.
      await recorder.idle();
      // A step event may have submitted more meanwhile (possibly all of the rest).
      if (recorder.numActive > 0 || next >= requests.length) continue;
      clock.advance(dueMs(next) - clock.now());
      submitDue();
    }
    await recorder.idle();
  } finally {
    engine.events.off("step", submitDue);
  }
}

/** Runs `requests` in real time on `clock`; resolves when every request has ended. */
export async function pumpRealTime(
  clock: Clock,
  originMs: number,
  requests: readonly BenchRequest[],
  recorder: EngineRecorder,
  submit: SubmitFn,
): Promise<void> {
  await dispatchInRealTime(requests, clock, originMs, async (req) => submit(req));
  await recorder.idle();
}
