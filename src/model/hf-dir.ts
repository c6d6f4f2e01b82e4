/**
 * Reader of a Hugging Face model directory: config.json, weights in model.safetensors or in
 * shards listed by model.safetensors.index.json, and the tokenizer files. Tensors are renamed
 * to canonical GGUF names; their data stays in the files.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { ModelFormatError } from "../errors.js";
import { readSafetensors } from "./safetensors.js";
import type { TensorRef } from "./tensor-ref.js";

/** The parsed contents of a Hugging Face model directory. */
export interface HfModelDir {
  /** Absolute path of the directory. */
  readonly dir: string;
  /** Parsed config.json. */
  readonly config: unknown;
  /** Parsed tokenizer.json, `null` when the directory has none. */
  readonly tokenizerJson: unknown | null;
  /**
   * Parsed tokenizer_config.json, `null` when absent. When the directory ships its chat
   * template as chat_template.jinja, it is set as `chat_template` here (the file wins only
   * when tokenizer_config.json has none).
   */
  readonly tokenizerConfig: unknown | null;
  /** Parsed generation_config.json, `null` when absent. */
  readonly generationConfig: unknown | null;
  /** Tensors by canonical GGUF name (e.g. `blk.0.attn_q.weight`). */
  readonly tensors: ReadonlyMap<string, TensorRef>;
}

const FIXED_NAMES: Readonly<Record<string, string>> = {
  "model.embed_tokens.weight": "token_embd.weight",
  "model.norm.weight": "output_norm.weight",
  "lm_head.weight": "output.weight",
};

const LAYER_PARTS: Readonly<Record<string, string>> = {
  "self_attn.q_proj": "attn_q",
  "self_attn.k_proj": "attn_k",
  "self_attn.v_proj": "attn_v",
  "self_attn.o_proj": "attn_output",
  "self_attn.q_norm": "attn_q_norm",
  "self_attn.k_norm": "attn_k_norm",
  "mlp.gate_proj": "ffn_gate",
  "mlp.up_proj": "ffn_up",
  "mlp.down_proj": "ffn_down",
  input_layernorm: "attn_norm",
  post_attention_layernorm: "ffn_norm",
};

const LAYER_RE = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/;

/** Whether a Hugging Face tensor is a precomputed rotary buffer we recompute and ignore. */
export function isIgnoredHfTensor(hfName: string): boolean {
  return /(^|\.)rotary_emb\.inv_freq$/.test(hfName);
}

/**
 * Canonical GGUF name of a Hugging Face tensor name, or `null` when the name is not one we
 * know (e.g. `model.layers.0.self_attn.q_proj.weight` → `blk.0.attn_q.weight`).
 */
export function canonicalTensorName(hfName: string): string | null {
  const fixed = FIXED_NAMES[hfName];
  if (fixed) return fixed;
  const m = LAYER_RE.exec(hfName);
  const part = m ? LAYER_PARTS[m[2] ?? ""] : undefined;
  if (!m || !part) return null;
  return `blk.${Number(m[1])}.${part}.${m[3]}`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function readJson(path: string, optional: boolean): Promise<unknown | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ModelFormatError(path, `cannot read: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFormatError(path, `not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

function parseWeightMap(indexPath: string, index: unknown): Map<string, string> {
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map)) {
    throw new ModelFormatError(indexPath, "weight_map is missing or not an object");
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map)) {
    if (typeof shard !== "string" || shard === "" || basename(shard) !== shard || shard === "..") {
      throw new ModelFormatError(
        indexPath,
        `tensor "${name}": shard ${JSON.stringify(shard)} is not a file name in the directory`,
      );
    }
    out.set(name, shard);
  }
  return out;
}

/** Loads the shards an index names; returns HF-named tensors, each checked to exist in its shard. */
async function readShards(dir: string, indexPath: string): Promise<TensorRef[]> {
  const weightMap = parseWeightMap(indexPath, await readJson(indexPath, false));
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of weightMap) byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  const out: TensorRef[] = [];
  for (const [shard, names] of byShard) {
    const shardPath = join(dir, shard);
    if (!(await exists(shardPath))) throw new ModelFormatError(indexPath, `shard ${shard} does not exist`);
    const found = new Map((await readSafetensors(shardPath)).tensors.map((t) => [t.name, t]));
    for (const name of names) {
      const ref = found.get(name);
      if (!ref)
        throw new ModelFormatError(shardPath, `tensor "${name}" listed in ${basename(indexPath)} is missing`);
      out.push(ref);
    }
  }
  return out;
}

/** Reads the weights (single file or shards) and returns them with the file to blame for names. */
async function readWeights(dir: string): Promise<{ tensors: TensorRef[]; source: string }> {
  const single = join(dir, "model.safetensors");
  if (await exists(single)) return { tensors: (await readSafetensors(single)).tensors, source: single };
  const index = join(dir, "model.safetensors.index.json");
  if (await exists(index)) return { tensors: await readShards(dir, index), source: index };
  const torch = (await exists(join(dir, "pytorch_model.bin")))
    ? " (PyTorch .bin weights are not supported: convert them to safetensors)"
    : "";
  throw new ModelFormatError(dir, `no model.safetensors or model.safetensors.index.json${torch}`);
}

function renameTensors(source: string, tensors: readonly TensorRef[]): Map<string, TensorRef> {
  const out = new Map<string, TensorRef>();
  const unknown: string[] = [];
  for (const t of tensors) {
    if (isIgnoredHfTensor(t.name)) continue;
    const name = canonicalTensorName(t.name);
    if (name === null) unknown.push(t.name);
    else out.set(name, { ...t, name });
  }
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 8).join(", ");
    const more = unknown.length > 8 ? ` and ${unknown.length - 8} more` : "";
    throw new ModelFormatError(source, `unknown tensor name(s): ${shown}${more}`);
  }
  return out;
}

async function readTokenizerConfig(dir: string): Promise<unknown | null> {
  const config = await readJson(join(dir, "tokenizer_config.json"), true);
  const jinjaPath = join(dir, "chat_template.jinja");
  const hasTemplate = typeof config === "object" && config !== null && "chat_template" in config;
  if (hasTemplate || !(await exists(jinjaPath))) return config;
  const template = await readFile(jinjaPath, "utf8");
  return { ...(typeof config === "object" && config !== null ? config : {}), chat_template: template };
}

/**
 * Reads a Hugging Face model directory: the JSON files (config.json required; tokenizer.json,
 * tokenizer_config.json, generation_config.json optional) and the safetensors headers. Every
 * tensor name must map to a canonical name (rotary `inv_freq` buffers are skipped).
 * @throws ModelFormatError naming the offending file.
 */
export async function readHfDir(path: string): Promise<HfModelDir> {
  const dir = resolve(path);
  const config = await readJson(join(dir, "config.json"), false);
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new ModelFormatError(join(dir, "config.json"), "not a JSON object");
  }
  const { tensors, source } = await readWeights(dir);
  return {
    dir,
    config,
    tokenizerJson: await readJson(join(dir, "tokenizer.json"), true),
    tokenizerConfig: await readTokenizerConfig(dir),
    generationConfig: await readJson(join(dir, "generation_config.json"), true),
    tensors: renameTensors(source, tensors),
  };
}
