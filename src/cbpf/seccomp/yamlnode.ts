// Reading a YAML/JSON document while keeping each value's position, so a bad policy
// is reported at its line and column.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node } from 'yaml';
import { ParseError, type SourcePosition } from '../../sys/errors.js';

export class DocReader {
  readonly file?: string;
  readonly source: string;
  private readonly lines = new LineCounter();
  readonly root: Node | null;

  constructor(source: string, file?: string) {
    this.source = source;
    this.file = file;
    const doc = parseDocument(source, { lineCounter: this.lines, keepSourceTokens: false, uniqueKeys: true, intAsBigInt: true });
    const err = doc.errors[0];
    if (err) {
      const [line, column] = err.linePos?.[0] ? [err.linePos[0].line, err.linePos[0].col] : [1, 1];
      throw new ParseError(err.message.split('\n')[0], { file, line, column }, source);
    }
    this.root = (doc.contents as Node | null) ?? null;
  }

  pos(node: Node | null | undefined): SourcePosition {
    const off = node?.range?.[0] ?? 0;
    const p = this.lines.linePos(off);
    const len = node?.range ? Math.max(1, Math.min(node.range[1] - node.range[0], 40)) : 1;
    return { file: this.file, line: p.line, column: p.col, length: len };
  }

  error(node: Node | null | undefined, message: string): ParseError {
    return new ParseError(message, this.pos(node), this.source);
  }

  /** The entries of a mapping, key text → value node (with the key node for messages). */
  entries(node: Node | null | undefined, what: string): Array<{ key: string; keyNode: Node; value: Node | null }> {
    if (!isMap(node)) throw this.error(node, `${what} must be a mapping`);
    return node.items.map((pair) => {
      const k = pair.key as Node;
      if (!isScalar(k)) throw this.error(k, `${what}: keys must be plain names`);
      return { key: String(k.value), keyNode: k, value: (pair.value as Node | null) ?? null };
    });
  }

  items(node: Node | null | undefined, what: string): Node[] {
    if (!isSeq(node)) throw this.error(node, `${what} must be a list`);
    return node.items as Node[];
  }

  isList(node: Node | null | undefined): boolean {
    return isSeq(node);
  }

  isMapping(node: Node | null | undefined): boolean {
    return isMap(node);
  }

  /** A scalar's value: string, bigint (integers), number, boolean or null. */
  scalar(node: Node | null | undefined, what: string): string | bigint | number | boolean | null {
    if (node === null || node === undefined) return null;
    if (!isScalar(node)) throw this.error(node, `${what} must be a single value`);
    return node.value as string | bigint | number | boolean | null;
  }

  string(node: Node | null | undefined, what: string): string {
    const v = this.scalar(node, what);
    if (typeof v === 'string') return v;
    if (typeof v === 'bigint' || typeof v === 'number') return String(v);
    throw this.error(node, `${what} must be text`);
  }

  strings(node: Node | null | undefined, what: string): Array<{ text: string; node: Node }> {
    if (node === null || node === undefined) return [];
    if (isScalar(node)) return [{ text: this.string(node, what), node }];
    return this.items(node, what).map((n) => ({ text: this.string(n, what), node: n }));
  }
}
