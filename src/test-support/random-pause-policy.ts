/**
 * Test support: a scheduling policy that pauses running requests and resumes paused ones at
 * random steps, in random modes (swap, hybrid, recompute; reload, hybrid, recompute), to check
 * that outputs never depend on where a request's KV went in between.
 */
import { FcfsPolicy } from "../scheduler/fcfs-policy.js";
import type { SchedulerPolicy } from "../scheduler/policy.js";
import type { Sequence } from "../scheduler/sequence.js";
import type { PreemptionMode, ResumeMode } from "../scheduler/step-plan.js";
import { prngUnit } from "./prng.js";

const PAUSE_MODES: readonly PreemptionMode[] = ["swap", "hybrid", "recompute"];
const RESUME_MODES: readonly ResumeMode[] = ["reload", "hybrid", "recompute"];

/** FCFS plus random pauses (probability `pauseChance` per running request and step) and resumes. */
export class RandomPausePolicy extends FcfsPolicy implements SchedulerPolicy {
  override readonly name = "random-pause";
  private readonly rand: () => number;
  private readonly modes = new Map<string, PreemptionMode>();
  /** Pauses and resumes by mode (tests assert every mode happened). */
  readonly counts = new Map<string, number>();

  constructor(
    seed: number,
    private readonly pauseChance = 0.15,
    private readonly resumeChance = 0.4,
  ) {
    super();
    this.rand = prngUnit(seed);
  }

  selectPreemptions(running: readonly Sequence[]): readonly Sequence[] {
    const out = running.filter((s) => s.numOutputTokens > 0 && this.rand() < this.pauseChance);
    for (const s of out) {
      const mode = PAUSE_MODES[Math.floor(this.rand() * PAUSE_MODES.length)] as PreemptionMode;
      this.modes.set(s.id, mode);
    }
    return out;
  }

  override preemptionMode(seq: Sequence): PreemptionMode {
    const mode = this.modes.get(seq.id) ?? "recompute";
    this.modes.delete(seq.id);
    this.counts.set(`pause:${mode}`, (this.counts.get(`pause:${mode}`) ?? 0) + 1);
    return mode;
  }

  selectResumptions(paused: readonly Sequence[]): { seq: Sequence; mode: ResumeMode }[] {
    const out = paused
      .filter(() => this.rand() < this.resumeChance)
      .map((seq) => ({
        seq,
        mode: RESUME_MODES[Math.floor(this.rand() * RESUME_MODES.length)] as ResumeMode,
      }));
    for (const { mode } of out)
      this.counts.set(`resume:${mode}`, (this.counts.get(`resume:${mode}`) ?? 0) + 1);
    return out;
  }
}
