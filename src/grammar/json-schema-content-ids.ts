/**
 * Content identity of schema values: equal JSON (object key order aside, symbol-keyed internal
 * keywords included) gets the same number. The compiler keys its memos with it, so schemas that
 * are written out twice (`oneOf` branches repeating a property, copies across definitions)
 * compile to one grammar and the object grammars of different branches share their member rules.
 */

/** Interns values by content; each object is read once (its key names its children's ids). */
export class ContentIds {
  private readonly byObject = new WeakMap<object, number>();
  private readonly bySchema = new WeakMap<object, number>();
  private readonly byKey = new Map<string, number>();

  /**
   * The content id of a schema, its own annotations aside (`title`, `description`, ...: they
   * do not change what it accepts). Only the schema's own keys are dropped: below it, a name
   * like `description` may be a property name, so subschemas count in full.
   */
  schemaId(schema: unknown, annotations: ReadonlySet<string>): number {
    if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return this.idOf(schema);
    const known = this.bySchema.get(schema);
    if (known !== undefined) return known;
    const record = schema as Record<string | symbol, unknown>;
    const kept: Record<string | symbol, unknown> = {};
    for (const k of Object.keys(record)) if (!annotations.has(k)) kept[k] = record[k];
    for (const k of Object.getOwnPropertySymbols(record)) kept[k] = record[k];
    const id = this.intern(`S${this.keyOf(kept)}`);
    this.bySchema.set(schema, id);
    return id;
  }

  /** The content id of `value` (a JSON value, possibly with symbol-keyed properties). */
  idOf(value: unknown): number {
    if (value === null || typeof value !== "object") return this.intern(`v${JSON.stringify(value) ?? "u"}`);
    const known = this.byObject.get(value);
    if (known !== undefined) return known;
    const id = this.intern(this.keyOf(value));
    this.byObject.set(value, id);
    return id;
  }

  private keyOf(value: object): string {
    if (Array.isArray(value)) return `[${value.map((v) => this.idOf(v)).join(",")}]`;
    const record = value as Record<string | symbol, unknown>;
    const names = Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${this.idOf(record[k])}`);
    const symbols = Object.getOwnPropertySymbols(record)
      .map((s) => `@${String(s.description)}:${this.idOf(record[s])}`)
      .sort();
    return `{${[...names, ...symbols].join(",")}}`;
  }

  private intern(key: string): number {
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.byKey.size + 1;
      this.byKey.set(key, id);
    }
    return id;
  }
}
