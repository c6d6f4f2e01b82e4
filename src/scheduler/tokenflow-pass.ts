/**
 * One TokenFlow scheduling pass as a pure function (paper §4.2, the interpretation in
 * ../shared/papers/tokenflow.md §5.7): rank every candidate by the buffer it would have once
 * switched in, fill device memory greedily with an adjacent-swap local search, and pause only
 * running requests whose buffers cover the pause and the way back.
 */

/** One request the pass may keep, pause, resume or admit. */
export interface PassCandidate {
  readonly id: string;
  /** Where it is now. */
  readonly place: "running" | "paused" | "waiting";
  /** Whether it has produced tokens (a waiting request may have, after a recompute preemption). */
  readonly hasStarted: boolean;
  /** Seconds of reading in its buffer (0 when not started). */
  readonly bufferSec: number;
  /** Reader rate, tok/s (ties: faster readers drain sooner and go first). */
  readonly rateTokPerS: number;
  /** Time to bring it onto the device (0 when running): load or recompute, ms. */
  readonly switchInMs: number;
  /** Time its pause would take to be safe (evict backlog + its own copy, or 0 for hybrid), ms. */
  readonly pauseMs: number;
  /** Device blocks it needs for the next interval. */
  readonly numBlocks: number;
  /** Arrival order (FIFO among new requests). */
  readonly arrivalMs: number;
}

/** Limits of a pass. */
export interface PassLimits {
  readonly numDeviceBlocks: number;
  readonly maxNumSeqs: number;
  readonly scheduleIntervalMs: number;
  readonly bufferSafetyFactor: number;
  /** A paused request needs the device once its buffer ≤ its way back + Δt + this (ms). */
  readonly resumeMarginMs: number;
  /** Most requests admitted from the waiting queue (working-set room). */
  readonly maxAdmissions: number;
}

/** What the pass decided. */
export interface PassDecision {
  /** Running requests to pause, largest buffer first. */
  readonly pause: readonly string[];
  /** Paused requests to resume, most urgent first. */
  readonly resume: readonly string[];
  /** Waiting requests to admit, in order. */
  readonly admit: readonly string[];
}

/**
 * Priority key (lower = more urgent): new requests first in arrival order (their readers wait
 * for a first token), then the buffer left once switched in; faster readers break ties.
 */
function urgency(c: PassCandidate): number {
  if (!c.hasStarted) return -1e12 + c.arrivalMs;
  return c.bufferSec - c.switchInMs / 1000 - c.rateTokPerS * 1e-6;
}

/** Whether a paused (or recompute-preempted) request must be back before the next pass. */
function needsDevice(c: PassCandidate, limits: PassLimits): boolean {
  return c.bufferSec * 1000 <= c.switchInMs + limits.scheduleIntervalMs + limits.resumeMarginMs;
}

/** Whether pausing running request `c` is safe: its buffer covers μ × (pause + way back + Δt). */
export function isSafeToPause(c: PassCandidate, limits: PassLimits, loadBackMs: number): boolean {
  const needSec = (limits.bufferSafetyFactor * (c.pauseMs + loadBackMs + limits.scheduleIntervalMs)) / 1000;
  return c.hasStarted && c.bufferSec >= needSec;
}

/** Greedy fill in `order`: the set that fits device memory and the sequence cap. */
function fill(order: readonly PassCandidate[], limits: PassLimits, admitted = { n: 0 }): Set<PassCandidate> {
  const chosen = new Set<PassCandidate>();
  let blocks = 0;
  for (const c of order) {
    if (chosen.size >= limits.maxNumSeqs) break;
    if (c.place === "waiting" && admitted.n >= limits.maxAdmissions) continue;
    if (blocks + c.numBlocks > limits.numDeviceBlocks) continue;
    chosen.add(c);
    blocks += c.numBlocks;
    if (c.place === "waiting") admitted.n++;
  }
  return chosen;
}

/**
 * Runs the pass over `candidates` (running ones need `loadBackMs`: their way back if paused).
 * Running requests outside the chosen set are paused when safe; the paused and waiting ones
 * that then fit come in, in priority order (no pause without something to take its place).
 */
export function tokenFlowPass(
  candidates: readonly PassCandidate[],
  limits: PassLimits,
  loadBackMs: (c: PassCandidate) => number,
): PassDecision {
  const order = [...candidates].sort((a, b) => urgency(a) - urgency(b) || a.arrivalMs - b.arrivalMs);
  // Who competes for the device: running and new requests, and paused ones about to run dry.
  // A paused request with buffer to spare only takes free room (no pause for it): swapping
  // requests of similar buffers back and forth would cost copies and gain nothing.
  const contenders = order.filter((c) => c.place === "running" || !c.hasStarted || needsDevice(c, limits));
  let chosen = fill(contenders, limits);
  // Local search: swap adjacent candidates when the swap lets more requests onto the device.
  for (let i = 0; i + 1 < contenders.length; i++) {
    const a = contenders[i] as PassCandidate;
    const b = contenders[i + 1] as PassCandidate;
    if (!chosen.has(a) || chosen.has(b)) continue;
    const swapped = [...contenders];
    swapped[i] = b;
    swapped[i + 1] = a;
    const alt = fill(swapped, limits);
    if (alt.size > chosen.size) {
      contenders.splice(0, contenders.length, ...swapped);
      chosen = alt;
    }
  }
  const running = candidates.filter((c) => c.place === "running");
  const pause = running
    .filter((c) => !chosen.has(c) && isSafeToPause(c, limits, loadBackMs(c)))
    .sort((a, b) => b.bufferSec - a.bufferSec);
  // Contenders in their final order first, then the paused ones with buffer to spare.
  const intakeOrder = [...contenders, ...order.filter((c) => !contenders.includes(c))];
  const intake = fillAround(
    intakeOrder,
    running.filter((c) => !pause.includes(c)),
    limits,
  );
  // A pause only pays if something takes the freed room.
  const paused = intake.length > 0 ? pause : [];
  return {
    pause: paused.map((c) => c.id),
    resume: intake.filter((c) => c.place === "paused").map((c) => c.id),
    admit: intake.filter((c) => c.place === "waiting").map((c) => c.id),
  };
}

/** The paused and waiting candidates, in `order`, that fit beside the running ones that stay. */
function fillAround(order: readonly PassCandidate[], staying: readonly PassCandidate[], limits: PassLimits) {
  let blocks = staying.reduce((sum, c) => sum + c.numBlocks, 0);
  let seqs = staying.length;
  let admitted = 0;
  const intake: PassCandidate[] = [];
  for (const c of order) {
    if (c.place === "running" || seqs >= limits.maxNumSeqs) continue;
    if (c.place === "waiting" && admitted >= limits.maxAdmissions) continue;
    if (blocks + c.numBlocks > limits.numDeviceBlocks) continue;
    intake.push(c);
    blocks += c.numBlocks;
    seqs++;
    if (c.place === "waiting") admitted++;
  }
  return intake;
}
