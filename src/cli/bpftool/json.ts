// A streaming JSON writer with bpftool's layout: `-j` is compact, `-p` indents by four spaces and
// puts each member on its own line the way bpftool's json_writer does (arrays of scalars stay on
// the opening line, the closing bracket goes on a line of its own). Scripts parse either; the
// layout matters to people who diff our output with bpftool's.

export class JsonWriter {
  #out: (s: string) => void;
  #depth = 0;
  #sep = '';
  pretty: boolean;

  constructor(out: (s: string) => void, pretty = false) {
    this.#out = out;
    this.pretty = pretty;
  }

  get depth(): number {
    return this.#depth;
  }

  #indent(): void {
    if (this.pretty) this.#out('\n' + '    '.repeat(this.#depth));
  }

  #eor(): void {
    if (this.#sep) this.#out(this.#sep);
    this.#sep = ',';
  }

  #begin(c: string): void {
    this.#eor();
    this.#out(c);
    this.#depth++;
    this.#sep = '';
  }

  #end(c: string): void {
    this.#depth--;
    if (this.#sep) this.#indent();
    this.#out(c);
    this.#sep = ',';
  }

  /** Starts a new top-level value (bpftool's jsonw_reset): no comma before it. */
  reset(): void {
    this.#sep = '';
  }

  startObject(): this {
    this.#begin('{');
    return this;
  }

  endObject(): this {
    this.#end('}');
    return this;
  }

  startArray(): this {
    this.#begin('[');
    return this;
  }

  endArray(): this {
    this.#end(']');
    return this;
  }

  name(n: string): this {
    this.#eor();
    this.#indent();
    this.#sep = '';
    this.#out(quote(n) + (this.pretty ? ': ' : ':'));
    return this;
  }

  /** A value written as is (numbers, true/false/null, or text already in JSON form). */
  raw(text: string): this {
    this.#eor();
    this.#out(text);
    return this;
  }

  string(s: string): this {
    return this.raw(quote(s));
  }

  uint(n: number | bigint): this {
    return this.raw(String(n));
  }

  int(n: number | bigint): this {
    return this.raw(String(n));
  }

  bool(b: boolean): this {
    return this.raw(b ? 'true' : 'false');
  }

  null(): this {
    return this.raw('null');
  }

  stringField(n: string, s: string): this {
    return this.name(n).string(s);
  }

  uintField(n: string, v: number | bigint): this {
    return this.name(n).uint(v);
  }

  intField(n: string, v: number | bigint): this {
    return this.name(n).int(v);
  }

  boolField(n: string, v: boolean): this {
    return this.name(n).bool(v);
  }

  nullField(n: string): this {
    return this.name(n).null();
  }
}

/**
 * A JSON string literal. bpftool escapes a backslash as "\n" and a single quote as "\'", which
 * is not JSON; we write valid JSON there (and \u00XX for other control characters) instead.
 */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    switch (ch) {
      case '\t': out += '\\t'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\f': out += '\\f'; break;
      case '\b': out += '\\b'; break;
      case '\\': out += '\\\\'; break;
      case '"': out += '\\"'; break;
      default:
        out += ch < ' ' ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}` : ch;
    }
  }
  return out + '"';
}
