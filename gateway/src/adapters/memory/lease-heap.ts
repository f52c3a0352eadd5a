/**
 * A binary min-heap with lazy deletion, for the in-memory lease engine's two orders (least recently released free
 * number; earliest expiry). Entries are never removed from the middle: an entry whose slot changed since it was
 * pushed is stale, skipped when it reaches the top, and dropped in bulk by `compact` once stale ones dominate, so
 * the heap stays within a small multiple of the live entries.
 */
export class LeaseHeap<T> {
  private items: T[] = [];

  constructor(
    private readonly before: (a: T, b: T) => boolean,
    private readonly valid: (e: T) => boolean,
  ) {}

  get size(): number {
    return this.items.length;
  }

  push(e: T): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  /** The smallest valid entry, stale ones above it dropped; undefined when none is left. */
  peek(): T | undefined {
    while (this.items.length > 0 && !this.valid(this.items[0]!)) this.pop();
    return this.items[0];
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Drops stale entries when they outnumber `live` by far (heartbeats and sticky takes leave them behind). */
  compact(live: number): void {
    if (this.items.length <= 2 * live + 64) return;
    const keep = this.items.filter(this.valid);
    this.items = [];
    for (const e of keep) this.push(e);
  }
}
