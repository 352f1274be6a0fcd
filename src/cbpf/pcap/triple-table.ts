// A hash table from three 32-bit numbers to a positive integer, in flat typed arrays: the
// optimizer's value numbering asks it tens of thousands of times per pass, and Maps keyed by
// doubles allocate on every question. Open addressing, linear probing; clear() is O(entries).

export class TripleTable {
  private mask!: number;
  private a!: Uint32Array;
  private b!: Uint32Array;
  private c!: Uint32Array;
  private v!: Int32Array;
  private used!: Int32Array;
  private count = 0;

  constructor(capacity = 1024) {
    let size = 16;
    while (size < 2 * capacity) size *= 2;
    this.allocate(size);
  }

  /** Empty arrays of `size` slots (a power of two). */
  private allocate(size: number): void {
    this.mask = size - 1;
    this.a = new Uint32Array(size);
    this.b = new Uint32Array(size);
    this.c = new Uint32Array(size);
    this.v = new Int32Array(size);
    this.used = new Int32Array(size);
  }

  get size(): number {
    return this.count;
  }

  private slot(a: number, b: number, c: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2f);
    h ^= h >>> 15;
    const mask = this.mask;
    const v = this.v;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      if (v[i] === 0 || (this.a[i] === a && this.b[i] === b && this.c[i] === c)) return i;
    }
  }

  /** The value stored for (a, b, c), or 0. */
  get(a: number, b: number, c: number): number {
    return this.v[this.slot(a >>> 0, b >>> 0, c >>> 0)];
  }

  /** Stores a value (> 0) for (a, b, c). */
  set(a: number, b: number, c: number, value: number): void {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    let i = this.slot(a, b, c);
    if (this.v[i] === 0) {
      if (2 * (this.count + 1) > this.mask + 1) {
        this.grow();
        i = this.slot(a, b, c);
      }
      this.a[i] = a;
      this.b[i] = b;
      this.c[i] = c;
      this.used[this.count++] = i;
    }
    this.v[i] = value;
  }

  clear(): void {
    const v = this.v;
    const used = this.used;
    for (let k = 0; k < this.count; k++) v[used[k]] = 0;
    this.count = 0;
  }

  private grow(): void {
    const { a, b, c, v, used, count } = this;
    this.allocate(2 * (this.mask + 1));
    this.count = 0;
    for (let k = 0; k < count; k++) {
      const i = used[k];
      const j = this.slot(a[i], b[i], c[i]);
      this.a[j] = a[i];
      this.b[j] = b[i];
      this.c[j] = c[i];
      this.v[j] = v[i];
      this.used[this.count++] = j;
    }
  }
}
