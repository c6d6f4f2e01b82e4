/** The KV tiers panel: device and host usage, the write-through backlog and copy rates. */
import type { DashboardTiers } from "../../src/server/dashboard-frame.js";
import { formatBytes, percent } from "./format.js";

function usageBar(label: string, usage: number, numBlocks: number | null): string {
  const blocks = numBlocks === null ? "" : ` of ${numBlocks} blocks`;
  return `<div class="tier"><div class="tier-head"><b>${label}</b><span>${percent(usage)}${blocks}</span></div>
<span class="bar wide"><i style="width:${(Math.min(1, usage) * 100).toFixed(1)}%"></i></span></div>`;
}

/** Renders `tiers` into `el`. */
export function renderTiers(el: HTMLElement, tiers: DashboardTiers): void {
  const device = usageBar("Device KV", tiers.device.usage, tiers.device.numBlocks);
  const h = tiers.host;
  if (!h) {
    el.innerHTML = `${device}<p class="muted">No host tier: preempted requests recompute their KV.</p>`;
    return;
  }
  el.innerHTML = `${device}${usageBar("Host KV", h.usage, h.numBlocks)}
<table class="kv"><tbody>
<tr><td>write-through backlog</td><td>${formatBytes(h.pendingStoreBytes)}</td></tr>
<tr><td>load backlog</td><td>${formatBytes(h.pendingLoadBytes)}</td></tr>
<tr><td>device → host</td><td>${formatBytes(h.storeBytesPerS)}/s</td></tr>
<tr><td>host → device</td><td>${formatBytes(h.loadBytesPerS)}/s</td></tr>
<tr><td>measured copy bandwidth</td><td>${formatBytes(h.linkStoreBytesPerS)}/s · ${formatBytes(h.linkLoadBytesPerS)}/s</td></tr>
</tbody></table>`;
}
