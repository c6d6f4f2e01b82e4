import { InvalidArgumentError } from "../errors.js";

/** Parses a CLI integer option, rejecting fractions, garbage and values outside [min, max]. */
export function parseIntOption(flag: string, min: number, max: number): (raw: string) => number {
  return (raw: string) => {
    if (!/^-?\d+$/.test(raw.trim()))
      throw new InvalidArgumentError(`--${flag} must be an integer, got "${raw}"`, flag);
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`--${flag} must be between ${min} and ${max}, got ${raw}`, flag);
    }
    return n;
  };
}

/** Parses a choice option against a fixed list. */
export function parseChoice<T extends string>(flag: string, choices: readonly T[]): (raw: string) => T {
  return (raw: string) => {
    const v = raw.toLowerCase() as T;
    if (!choices.includes(v)) {
      throw new InvalidArgumentError(`--${flag} must be one of ${choices.join(", ")}, got "${raw}"`, flag);
    }
    return v;
  };
}
