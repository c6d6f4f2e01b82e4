import type { Command } from "commander";
import { openModel } from "../model/open-model.js";
import { numElements } from "../model/tensor-ref.js";

/** Registers `tokenflow inspect`. */
export function registerInspect(program: Command, out: (s: string) => void): void {
  program
    .command("inspect")
    .description("print a model's normalised spec and its tensors (types and shapes)")
    .requiredOption("--model <path>", "GGUF file, Hugging Face directory or llama2.c checkpoint")
    .option("--json", "print one JSON object")
    .action(async (flags: { model: string; json?: boolean }) => {
      const model = await openModel(flags.model);
      const tensors = [...model.tensors.values()].map((t) => ({
        name: t.name,
        type: t.type.name,
        shape: t.shape,
        sizeBytes: t.sizeBytes,
      }));
      const numParams = [...model.tensors.values()].reduce((sum, t) => sum + numElements(t.shape), 0);
      if (flags.json) {
        out(
          `${JSON.stringify({ path: model.path, format: model.format, numParams, spec: model.spec, tensors })}\n`,
        );
        return;
      }
      const { chatTemplate, ...spec } = model.spec;
      out(`${model.path} (${model.format}, ${(numParams / 1e6).toFixed(2)}M params)\n`);
      for (const [k, v] of Object.entries(spec)) out(`  ${k}: ${JSON.stringify(v)}\n`);
      out(`  chatTemplate: ${chatTemplate === null ? "none" : `${chatTemplate.length} chars`}\n`);
      out(`tensors (${tensors.length}):\n`);
      for (const t of tensors) out(`  ${t.name.padEnd(28)} ${t.type.padEnd(5)} [${t.shape.join(", ")}]\n`);
    });
}
