/**
 * The dashboard page: asks for the API key when the server wants one, follows the live event
 * stream (`/v1/dashboard/events`, reconnecting when it drops) and hands frames to the table,
 * the KV tiers panel and the charts.
 */
import type { DashboardFrame, DashboardMessage } from "../../src/server/dashboard-frame.js";
import { AuthRequiredError, apiFetch, setApiKey, sseData } from "./api.js";
import { LiveCharts } from "./charts.js";
import { Playground } from "./playground.js";
import { renderRows } from "./table.js";
import { renderTiers } from "./tiers.js";

const RECONNECT_MS = 1000;

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

let mineId: string | null = null;
let charts: LiveCharts | null = null;

function setConnection(text: string, ok: boolean): void {
  const c = el("conn");
  c.textContent = text;
  c.classList.toggle("ok", ok);
}

function showFrame(f: DashboardFrame): void {
  el("n-running").textContent = String(f.counts.numRunning);
  el("n-waiting").textContent = String(f.counts.numWaiting);
  el("n-paused").textContent = String(f.counts.numPaused);
  el("n-preemptions").textContent = String(f.counts.numPreemptions);
  renderRows(el<HTMLTableElement>("requests").tBodies[0] as HTMLTableSectionElement, f.rows, mineId);
  el("rows-note").textContent = f.numRowsHidden > 0 ? `(${f.numRowsHidden} more not shown)` : "";
  renderTiers(el("tiers"), f.tiers);
  charts?.push(f.point);
  el("tick-cost").textContent = `${f.tickCostMs.toFixed(2)} ms`;
  const b = f.burst;
  if (b) {
    el("burst-live").textContent =
      `burst users: ${b.numActive} streaming · ${b.numDone} done · ${b.numFailed} failed · ${b.numStalled} stalled`;
  }
}

/** Asks for the key in the page's form; resolves once one is entered. */
function askForKey(): Promise<void> {
  const form = el<HTMLFormElement>("key-form");
  form.hidden = false;
  setConnection("API key required", false);
  return new Promise((resolve) => {
    form.onsubmit = (e) => {
      e.preventDefault();
      setApiKey(el<HTMLInputElement>("key").value.trim() || null);
      form.hidden = true;
      resolve();
    };
  });
}

async function follow(): Promise<void> {
  const res = await apiFetch("/v1/dashboard/events");
  setConnection("live", true);
  for await (const data of sseData(res)) {
    const msg = JSON.parse(data) as DashboardMessage;
    if (msg.type === "hello") {
      charts?.load(msg.history);
      el("eff-note").textContent = msg.notes.effectiveThroughput;
    } else showFrame(msg);
  }
}

async function loadModel(): Promise<void> {
  const res = await apiFetch("/v1/models");
  const body = (await res.json()) as { data?: { id: string }[] };
  el("model").textContent = body.data?.[0]?.id ?? "";
}

async function run(): Promise<void> {
  for (;;) {
    try {
      await loadModel();
      await follow();
      setConnection("disconnected: retrying", false);
    } catch (err) {
      if (err instanceof AuthRequiredError) {
        await askForKey();
        continue;
      }
      setConnection(`disconnected: ${err instanceof Error ? err.message : String(err)}`, false);
    }
    await new Promise((r) => setTimeout(r, RECONNECT_MS));
  }
}

function start(): void {
  charts = new LiveCharts();
  new Playground((id) => {
    mineId = id;
  });
  void run();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
