/** The time series as uPlot charts, fed one point per frame (a rolling two-minute window). */
import type UPlot from "uplot";
import type { DashboardPoint } from "../../src/server/dashboard-frame.js";

interface SeriesDef {
  readonly label: string;
  readonly stroke: string;
  readonly get: (p: DashboardPoint) => number | null;
}

interface ChartDef {
  readonly elementId: string;
  readonly series: readonly SeriesDef[];
}

/** The charts, by the id of the element each is drawn into. */
const CHARTS: readonly ChartDef[] = [
  {
    elementId: "chart-throughput",
    series: [
      { label: "output", stroke: "#3c78d8", get: (p) => p.outputTokPerS },
      { label: "effective", stroke: "#1a7f4b", get: (p) => p.effectiveTokPerS },
    ],
  },
  {
    elementId: "chart-ttft",
    series: [
      { label: "p50", stroke: "#3c78d8", get: (p) => p.ttftP50Ms },
      { label: "p99", stroke: "#b42318", get: (p) => p.ttftP99Ms },
    ],
  },
  {
    elementId: "chart-preemptions",
    series: [
      { label: "swap", stroke: "#d9534f", get: (p) => p.preemptionsPerS.swap },
      { label: "hybrid", stroke: "#8e6bd1", get: (p) => p.preemptionsPerS.hybrid },
      { label: "recompute", stroke: "#e07b39", get: (p) => p.preemptionsPerS.recompute },
    ],
  },
  {
    elementId: "chart-stalls",
    series: [{ label: "stalled streams", stroke: "#b42318", get: (p) => p.numStalled }],
  },
];

const HEIGHT_PX = 150;

/** All charts of the page. */
export class LiveCharts {
  private readonly plots: { def: ChartDef; plot: UPlot; host: HTMLElement }[] = [];
  private xs: number[] = [];
  private ys: (number | null)[][][] = [];

  /** @param maxPoints points kept per series (older ones scroll out) */
  constructor(private readonly maxPoints = 480) {
    for (const def of CHARTS) {
      const host = document.getElementById(def.elementId);
      if (!host) continue;
      const plot = new uPlot(this.options(def, host), [[], ...def.series.map(() => [])], host);
      this.plots.push({ def, plot, host });
      this.ys.push(def.series.map(() => []));
    }
    window.addEventListener("resize", () => this.resize());
  }

  /** Replaces the data with `points` (oldest first). */
  load(points: readonly DashboardPoint[]): void {
    this.xs = [];
    this.ys = this.plots.map((p) => p.def.series.map(() => []));
    for (const p of points) this.append(p);
    this.redraw();
  }

  /** Appends one point. */
  push(point: DashboardPoint): void {
    this.append(point);
    this.redraw();
  }

  private append(p: DashboardPoint): void {
    this.xs.push(p.tMs / 1000);
    this.plots.forEach((chart, i) => {
      chart.def.series.forEach((s, j) => {
        this.ys[i]?.[j]?.push(s.get(p));
      });
    });
    if (this.xs.length > this.maxPoints) {
      this.xs.shift();
      for (const chart of this.ys) for (const ys of chart) ys.shift();
    }
  }

  private redraw(): void {
    this.plots.forEach((chart, i) => {
      chart.plot.setData([this.xs, ...(this.ys[i] ?? [])] as UPlot.AlignedData);
    });
  }

  private resize(): void {
    for (const c of this.plots) c.plot.setSize({ width: this.widthOf(c.host), height: HEIGHT_PX });
  }

  private widthOf(host: HTMLElement): number {
    return Math.max(240, host.clientWidth);
  }

  private options(def: ChartDef, host: HTMLElement): UPlot.Options {
    return {
      width: this.widthOf(host),
      height: HEIGHT_PX,
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{ stroke: "#667085" }, { stroke: "#667085", size: 52 }],
      series: [
        {},
        ...def.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, spanGaps: false })),
      ],
    };
  }
}
