/** uPlot is loaded by a classic `<script>` (its IIFE build) and used as a global. */
import type UPlot from "uplot";

declare global {
  const uPlot: typeof UPlot;
}
