/**
 * Typed, range-checked reading of a JSON request body. Every getter names the parameter in its
 * error; `rejectUnknown` refuses parameters nobody read, so nothing a client sends is silently
 * ignored.
 */
import { InvalidArgumentError } from "../errors.js";

/** Bounds for a numeric field (inclusive unless `*Exclusive`). */
export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  readonly minExclusive?: boolean;
}

/** JSON type name of a value, as clients know them. */
export function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** A short, safe rendering of a client value for an error message. */
export function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Throws the standard "wrong type" error for `param`. */
export function typeError(param: string, expected: string, got: unknown): never {
  throw new InvalidArgumentError(
    `invalid type for '${param}': expected ${expected}, got ${jsonType(got)} ${show(got)}`,
    param,
  );
}

function checkRange(param: string, v: number, r: NumberRange): number {
  const lowOk = r.min === undefined || (r.minExclusive ? v > r.min : v >= r.min);
  const highOk = r.max === undefined || v <= r.max;
  if (lowOk && highOk) return v;
  const low = r.min === undefined ? "" : `${r.minExclusive ? ">" : ">="} ${r.min}`;
  const high = r.max === undefined ? "" : `<= ${r.max}`;
  throw new InvalidArgumentError(
    `invalid value for '${param}': ${v} is out of range (must be ${[low, high].filter(Boolean).join(" and ")})`,
    param,
  );
}

/** A request body being read. Absent and `null` fields both read as `undefined`. */
export class RequestFields {
  private readonly used = new Set<string>();

  /** @throws InvalidArgumentError when the body is not a JSON object. */
  constructor(private readonly body: unknown) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new InvalidArgumentError(`the request body must be a JSON object, got ${jsonType(body)}`, null);
    }
  }

  /** The raw value of `name` (marked as read); `undefined` when absent or null. */
  raw(name: string): unknown {
    this.used.add(name);
    const v = (this.body as Record<string, unknown>)[name];
    return v === null ? undefined : v;
  }

  /** Whether the client sent `name` with a non-null value (does not mark it read). */
  has(name: string): boolean {
    const v = (this.body as Record<string, unknown>)[name];
    return v !== undefined && v !== null;
  }

  number(name: string, fallback: number, range: NumberRange = {}): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) typeError(name, "a number", v);
    return checkRange(name, v, range);
  }

  int(name: string, fallback: number, range: NumberRange = {}): number {
    return this.optInt(name, range) ?? fallback;
  }

  optInt(name: string, range: NumberRange = {}): number | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isSafeInteger(v)) typeError(name, "an integer", v);
    return checkRange(name, v, range);
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") typeError(name, "a boolean", v);
    return v;
  }

  optString(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== "string") typeError(name, "a string", v);
    return v;
  }

  /** A JSON object field (not an array). */
  optObject(name: string): Record<string, unknown> | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) typeError(name, "an object", v);
    return v as Record<string, unknown>;
  }

  /** Refuses every field that no getter read. */
  rejectUnknown(): void {
    for (const key of Object.keys(this.body as object)) {
      if (!this.used.has(key)) {
        throw new InvalidArgumentError(`unrecognized request argument supplied: '${key}'`, key);
      }
    }
  }
}

/** Reads a nested object's fields with params named `outer.inner`. */
export function nestedFields(outer: string, value: Record<string, unknown>): RequestFields {
  const prefixed: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) prefixed[`${outer}.${k}`] = v;
  return new RequestFields(prefixed);
}
