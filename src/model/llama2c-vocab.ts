import type { Vocab } from "./vocab.js";

const CONTROL = 3;
const NORMAL = 1;
const UNKNOWN = 2;
const BYTE = 6;

/** Common English pieces, in rough frequency order, for filling a synthetic vocabulary. */
const PIECES =
  "▁t ▁a he in ▁s ▁w nd ▁the ed ▁b ▁to ▁and ▁h ▁f ▁T er ▁wa re ▁S it ou ▁l ▁was ▁m an ▁p ▁d ar ▁c ▁g ing ▁he ▁o om ▁O ▁was ▁day ▁They ll ▁big ▁H ▁I ▁L ▁it en is ay ed ▁B ▁in ▁that ▁play ▁her ▁his ▁she ▁Tim ▁Lily ▁said ▁happy ▁with ▁you ▁had ▁there ▁One ▁friend ▁saw ▁Once ▁upon ▁time ▁little ▁girl ▁boy ▁very ▁went ▁named ▁wanted ▁mom ▁fun ▁do ▁not ▁can ▁so ▁all ▁what ▁He ▁She ▁The ▁It ▁on ▁of ▁at ▁up ▁me ▁we ▁be ▁go ▁no ▁my ▁is ▁are ▁they ▁them ▁then ▁loved ▁liked ▁looked ▁found ▁toy ▁ball ▁tree ▁park ▁dog ▁cat ▁bird ▁sun ▁sky ▁red ▁blue ▁help ▁home ▁ran ▁run ▁jump ▁smiled ▁felt ▁sad ▁good ▁new ▁like ▁want ▁see ▁for ▁but ▁out ▁one ▁too ▁away ▁back ▁came ▁come ▁made ▁make ▁did ▁could ▁would ▁didn ▁don ▁after ▁from ▁this ▁have ▁has ▁know ▁tried ▁careful ▁together ▁thank ▁share";

/**
 * A valid 512-entry SentencePiece-style vocabulary for llama2.c checkpoints whose tokenizer is
 * not available (stories260K): `<unk>`, `<s>`, `</s>`, the 256 byte tokens, then single
 * characters and common English pieces. Scores follow id order, as in SentencePiece models.
 * Parity checks on such models use token ids, not text.
 */
export function synthesizeLlama2cVocab(size: number): Vocab {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  const seen = new Set(tokens);
  const candidates = [
    "▁",
    ..."etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLUCMFWYPVBGKJQXZ0123456789.,!?'\"-:;()",
    ...PIECES.split(" "),
  ];
  for (const piece of candidates) {
    if (tokens.length >= size) break;
    if (seen.has(piece)) continue;
    seen.add(piece);
    tokens.push(piece);
  }
  for (let i = 0; tokens.length < size; i++) tokens.push(`▁w${i}`);
  const tokenTypes = new Int32Array(tokens.length).fill(NORMAL);
  tokenTypes[0] = UNKNOWN;
  tokenTypes[1] = CONTROL;
  tokenTypes[2] = CONTROL;
  for (let b = 0; b < 256; b++) tokenTypes[3 + b] = BYTE;
  const scores = new Float32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) scores[i] = i < 259 ? 0 : -(i - 259);
  return {
    kind: "spm",
    pre: null,
    tokens,
    scores,
    tokenTypes,
    merges: null,
    bosId: 1,
    eosId: 2,
    unkId: 0,
    padId: null,
    eotId: null,
    eogIds: [2],
    addBos: true,
    addEos: false,
    addSpacePrefix: true,
    chatTemplate: null,
  };
}
