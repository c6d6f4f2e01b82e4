/**
 * Chat messages → prompt text, with the model's Jinja chat template (`@huggingface/jinja`), or
 * a plain fallback template for models that ship none.
 */
import { Template } from "@huggingface/jinja";
import { InvalidArgumentError } from "../errors.js";
import type { Tokenizer } from "../model/tokenizer.js";
import { show, typeError } from "./request-fields.js";

/** One validated chat message (content flattened to text). */
export interface ChatMessage {
  readonly role: "system" | "developer" | "user" | "assistant" | "tool";
  readonly content: string;
  readonly name?: string;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);
const MAX_MESSAGES = 4096;

/**
 * Used when the model has no template: one `<|role|>` header line per message, then the
 * assistant header. Documented so users know what the model sees.
 */
export const FALLBACK_CHAT_TEMPLATE =
  "{{ bos_token }}{% for m in messages %}<|{{ m.role }}|>\n{{ m.content }}\n{% endfor %}" +
  "{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

function contentText(v: unknown, param: string): string {
  if (typeof v === "string") return v;
  if (!Array.isArray(v)) typeError(param, "a string or an array of content parts", v);
  return v
    .map((part, i) => {
      const p = part as { type?: unknown; text?: unknown } | null;
      if (typeof p !== "object" || p === null || p.type !== "text" || typeof p.text !== "string") {
        throw new InvalidArgumentError(
          `'${param}[${i}]': only text content parts ({"type": "text", "text": ...}) are supported, got ${show(part)}`,
          param,
        );
      }
      return p.text;
    })
    .join("");
}

function readMessage(m: unknown, i: number): ChatMessage {
  const param = `messages[${i}]`;
  if (typeof m !== "object" || m === null || Array.isArray(m)) typeError(param, "an object", m);
  const { role, content, name, ...rest } = m as Record<string, unknown>;
  if (typeof role !== "string" || !ROLES.has(role)) {
    throw new InvalidArgumentError(
      `invalid value for '${param}.role': ${show(role)} (must be one of ${[...ROLES].join(", ")})`,
      `${param}.role`,
    );
  }
  if (name !== undefined && typeof name !== "string") typeError(`${param}.name`, "a string", name);
  for (const key of Object.keys(rest)) {
    if (rest[key] === null || key === "refusal" || key === "tool_call_id") continue;
    throw new InvalidArgumentError(`'${param}.${key}' is not supported`, `${param}.${key}`);
  }
  if (content === undefined || content === null) {
    throw new InvalidArgumentError(`'${param}.content' is required`, `${param}.content`);
  }
  const msg = { role: role as ChatMessage["role"], content: contentText(content, `${param}.content`) };
  return name === undefined ? msg : { ...msg, name };
}

/** Validates the `messages` parameter (non-empty array of text messages). */
export function readMessages(v: unknown): ChatMessage[] {
  if (v === undefined) throw new InvalidArgumentError("'messages' is required", "messages");
  if (!Array.isArray(v)) typeError("messages", "an array of messages", v);
  if (v.length === 0) throw new InvalidArgumentError("'messages' must not be empty", "messages");
  if (v.length > MAX_MESSAGES) {
    throw new InvalidArgumentError(`'messages' may hold at most ${MAX_MESSAGES} messages`, "messages");
  }
  return v.map(readMessage);
}

const compiled = new Map<string, Template>();

function templateOf(source: string): Template {
  let t = compiled.get(source);
  if (!t) {
    t = new Template(source);
    compiled.set(source, t);
  }
  return t;
}

function specialText(tokenizer: Tokenizer, id: number | null): string {
  return id === null ? "" : tokenizer.tokenText(id);
}

/**
 * Renders `messages` with `template` (or the fallback) and tokenizes the result, parsing the
 * template's special tokens (`<s>`, `<|im_start|>`) as tokens. BOS is added only when the
 * model wants one and the template did not write it.
 * @throws InvalidArgumentError (param `messages`) when the template rejects the conversation.
 */
export function chatPromptTokens(
  messages: readonly ChatMessage[],
  template: string | null,
  tokenizer: Tokenizer,
  addBos: boolean,
  addGenerationPrompt: boolean,
): number[] {
  const bosText = specialText(tokenizer, tokenizer.bosId);
  let text: string;
  try {
    text = templateOf(template ?? FALLBACK_CHAT_TEMPLATE).render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      bos_token: bosText,
      eos_token: specialText(tokenizer, tokenizer.eosId),
    });
  } catch (err) {
    throw new InvalidArgumentError(
      `the model's chat template rejected the messages: ${(err as Error).message}`,
      "messages",
    );
  }
  const hasBos = bosText !== "" && text.startsWith(bosText);
  return tokenizer.encode(text, {
    parseSpecial: true,
    addBos: addBos && !hasBos && tokenizer.bosId !== null,
  });
}
