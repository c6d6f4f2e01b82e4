/** llama.cpp token types (`tokenizer.ggml.token_type`), shared by the tokenizer modules. */
export const TokenType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;
