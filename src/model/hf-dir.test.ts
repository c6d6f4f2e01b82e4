import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError } from "../errors.js";
import { REPO_ROOT } from "../test-support/shared-data.js";
import { canonicalTensorName, readHfDir } from "./hf-dir.js";
import { openModel } from "./open-model.js";
import { type SafetensorsTensorToWrite, writeSafetensors } from "./safetensors.js";
import { readTensorBytes } from "./tensor-codec.js";

const LLAMA3_TOKENIZER = join(
  REPO_ROOT,
  "node_modules",
  "@lenml",
  "tokenizer-llama3",
  "models",
  "tokenizer.json",
);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tokenflow-hf-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const VOCAB = 128256;
const CONFIG = {
  architectures: ["LlamaForCausalLM"],
  model_type: "llama",
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: VOCAB,
  max_position_embeddings: 8192,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  rope_scaling: {
    rope_type: "llama3",
    factor: 8,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 8192,
  },
  tie_word_embeddings: false,
  bos_token_id: 128000,
  eos_token_id: 128001,
  torch_dtype: "float32",
};

/** Small random F32 weights under Hugging Face names, in a deterministic order. */
function hfTensors(): SafetensorsTensorToWrite[] {
  const shapes: [string, number[]][] = [["model.embed_tokens.weight", [VOCAB, 16]]];
  for (let l = 0; l < 2; l++) {
    const p = `model.layers.${l}.`;
    shapes.push([`${p}input_layernorm.weight`, [16]], [`${p}self_attn.q_proj.weight`, [16, 16]]);
    shapes.push([`${p}self_attn.k_proj.weight`, [8, 16]], [`${p}self_attn.v_proj.weight`, [8, 16]]);
    shapes.push([`${p}self_attn.o_proj.weight`, [16, 16]], [`${p}post_attention_layernorm.weight`, [16]]);
    shapes.push([`${p}mlp.gate_proj.weight`, [24, 16]], [`${p}mlp.up_proj.weight`, [24, 16]]);
    shapes.push([`${p}mlp.down_proj.weight`, [16, 24]], [`${p}self_attn.rotary_emb.inv_freq`, [2]]);
  }
  shapes.push(["model.norm.weight", [16]], ["lm_head.weight", [VOCAB, 16]]);
  return shapes.map(([name, shape], i) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n).map((_, j) => Math.sin(i * 1000 + j) * 0.02);
    return { name, dtype: "F32", shape, data: () => new Uint8Array(values.buffer) };
  });
}

/** Writes config, tokenizer files and weights (one file, or `shards` shards) into a new directory. */
async function writeModel(
  name: string,
  opts: { shards?: number; config?: object; tokenizerConfig?: object } = {},
) {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.json"), JSON.stringify({ ...CONFIG, ...opts.config }));
  await copyFile(LLAMA3_TOKENIZER, join(dir, "tokenizer.json"));
  const tokenizerConfig = opts.tokenizerConfig ?? {
    bos_token: "<|begin_of_text|>",
    eos_token: "<|end_of_text|>",
    chat_template: [
      { name: "tool_use", template: "tools" },
      { name: "default", template: "{{ bos_token }}" },
    ],
    added_tokens_decoder: {
      "128000": { content: "<|begin_of_text|>", special: true },
      "128001": { content: "<|end_of_text|>", special: true },
      "128009": { content: "<|eot_id|>", special: true },
    },
  };
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(tokenizerConfig));
  await writeFile(join(dir, "generation_config.json"), JSON.stringify({ eos_token_id: [128001, 128008] }));
  const tensors = hfTensors();
  const shards = opts.shards ?? 1;
  if (shards === 1) {
    await writeSafetensors(join(dir, "model.safetensors"), tensors, { format: "pt" });
    return { dir, tensors };
  }
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const file = `model-0000${s + 1}-of-0000${shards}.safetensors`;
    const part = tensors.filter((_, i) => i % shards === s);
    for (const t of part) weightMap[t.name] = file;
    await writeSafetensors(join(dir, file), part, { format: "pt" });
  }
  await writeFile(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: {}, weight_map: weightMap }),
  );
  return { dir, tensors };
}

describe("canonicalTensorName", () => {
  it.each([
    ["model.embed_tokens.weight", "token_embd.weight"],
    ["model.layers.12.self_attn.q_proj.bias", "blk.12.attn_q.bias"],
    ["model.layers.0.self_attn.k_norm.weight", "blk.0.attn_k_norm.weight"],
    ["model.layers.3.post_attention_layernorm.weight", "blk.3.ffn_norm.weight"],
    ["model.norm.weight", "output_norm.weight"],
    ["lm_head.weight", "output.weight"],
    ["model.layers.0.mlp.experts.0.w1.weight", null],
    ["vision_tower.weight", null],
  ])("%s → %s", (hf, canonical) => {
    expect(canonicalTensorName(hf)).toBe(canonical);
  });
});

describe("Hugging Face directories", () => {
  it("round-trips a tiny llama3 model through openModel", async () => {
    const { dir, tensors } = await writeModel("single");
    const model = await openModel(dir);
    expect(model.format).toBe("hf");
    expect(model.spec).toMatchObject({
      architecture: "llama",
      name: "single",
      dim: 16,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      headDim: 4,
      ffnDim: 24,
      vocabSize: VOCAB,
      ropeTheta: 500000,
      ropeStyle: "neox",
      ropeScaling: {
        type: "llama3",
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalContextLength: 8192,
      },
      tiedEmbeddings: false,
      contextLength: 8192,
      chatTemplate: "{{ bos_token }}",
      addBos: true,
    });
    expect(model.spec.specialTokens).toMatchObject({ bos: 128000, eos: 128001 });
    expect([...model.spec.specialTokens.eogIds].sort()).toEqual([128001, 128008, 128009]);
    expect(model.tensors.size).toBe(tensors.length - 2); // inv_freq buffers are skipped
    const q = model.tensors.get("blk.1.attn_q.weight");
    expect(q?.shape).toEqual([16, 16]);
    const source = tensors.find((t) => t.name === "model.layers.1.self_attn.q_proj.weight");
    expect(await readTensorBytes(q ?? (undefined as never))).toEqual(source?.data());
    expect(model.vocab?.tokens.length).toBeGreaterThan(128000);
    expect(model.tokenizerJson).not.toBeNull();
  });

  it("reads sharded weights through the index", async () => {
    const { dir, tensors } = await writeModel("sharded", { shards: 3 });
    const model = await openModel(dir);
    const expected = tensors.map((t) => canonicalTensorName(t.name)).filter((n) => n !== null);
    expect([...model.tensors.keys()].sort()).toEqual(expected.sort());
    const out = model.tensors.get("output.weight");
    expect(out?.file).toMatch(/model-0000\d-of-00003\.safetensors$/);
    const source = tensors.find((t) => t.name === "lm_head.weight")?.data() ?? new Uint8Array();
    const read = await readTensorBytes(out ?? (undefined as never));
    expect(Buffer.from(read).equals(source)).toBe(true); // toEqual on 8 MB arrays is very slow
  });

  it("names a tensor the index lists but its shard lacks, and refuses paths outside the directory", async () => {
    const { dir } = await writeModel("bad-index", { shards: 2 });
    const index = {
      weight_map: {
        "model.norm.weight": "model-00001-of-00002.safetensors",
        "lm_head.weight": "model-00001-of-00002.safetensors",
      },
    };
    await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify(index));
    await expect(readHfDir(dir)).rejects.toThrow(
      /model-00001-of-00002\.safetensors: tensor "(model\.norm|lm_head)\.weight" listed in model\.safetensors\.index\.json is missing/,
    );
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { x: "../x.safetensors" } }),
    );
    await expect(readHfDir(dir)).rejects.toThrow(/not a file name in the directory/);
    await writeFile(
      join(dir, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { x: "nope.safetensors" } }),
    );
    await expect(readHfDir(dir)).rejects.toThrow(/shard nope\.safetensors does not exist/);
  });

  it("refuses unknown tensor names, naming them", async () => {
    const dir = join(root, "unknown");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "config.json"), JSON.stringify(CONFIG));
    const t = (name: string): SafetensorsTensorToWrite => ({
      name,
      dtype: "F32",
      shape: [1],
      data: () => new Uint8Array(4),
    });
    await writeSafetensors(join(dir, "model.safetensors"), [
      t("model.norm.weight"),
      t("model.layers.0.mlp.experts.weight"),
    ]);
    const err = await readHfDir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFormatError);
    expect((err as Error).message).toMatch(
      /model\.safetensors: unknown tensor name\(s\): model\.layers\.0\.mlp\.experts\.weight$/,
    );
  });

  it("reports a missing output projection of an untied model, and missing weights", async () => {
    const { dir } = await writeModel("untied-missing");
    const kept = hfTensors().filter((t) => t.name !== "lm_head.weight");
    await writeSafetensors(join(dir, "model.safetensors"), kept);
    await expect(openModel(dir)).rejects.toThrow(/missing tensor output\.weight/);
    await rm(join(dir, "model.safetensors"));
    await expect(openModel(dir)).rejects.toThrow(/no model\.safetensors or model\.safetensors\.index\.json/);
  });

  it("takes the chat template from chat_template.jinja when tokenizer_config has none", async () => {
    const { dir } = await writeModel("jinja", { tokenizerConfig: { add_bos_token: false } });
    await writeFile(join(dir, "chat_template.jinja"), "{% for m in messages %}{{ m.content }}{% endfor %}");
    const model = await openModel(dir);
    expect(model.spec.chatTemplate).toBe("{% for m in messages %}{{ m.content }}{% endfor %}");
    expect(model.spec.addBos).toBe(false);
  });

  it("names config.json when it is broken", async () => {
    const { dir } = await writeModel("bad-config");
    await writeFile(join(dir, "config.json"), "{ nope");
    await expect(openModel(dir)).rejects.toThrow(`${join(dir, "config.json")}: not valid JSON`);
  });
});
