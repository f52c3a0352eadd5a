/**
 * A bounded cache of loaded values with a time to live, that answers from the old copy while a fresh one loads:
 * once a value is past its TTL the first caller starts one reload and everybody, that caller included, keeps the
 * old copy until it lands. A load that fails is forgotten (the next caller tries again); `clear` drops everything,
 * in-flight reloads included, so a known change is never answered from an old copy.
 */
export class RefreshingCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; loadedAt: number; settled: boolean; refreshing: boolean }>();
  private generation = 0;

  constructor(private readonly opts: { ttlMs: number; maxEntries: number; now: () => number }) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.opts.now();
    const hit = this.entries.get(key);
    if (hit && (now - hit.loadedAt < this.opts.ttlMs || hit.refreshing || !hit.settled)) return hit.value;
    if (hit) {
      hit.refreshing = true;
      const gen = this.generation;
      const value = load();
      value.then(
        () => {
          if (gen === this.generation && this.entries.get(key) === hit)
            this.entries.set(key, { value, loadedAt: now, settled: true, refreshing: false });
        },
        () => {
          hit.refreshing = false;
        },
      );
      return hit.value;
    }
    if (this.entries.size >= this.opts.maxEntries) this.clear();
    const value = load();
    const entry = { value, loadedAt: now, settled: false, refreshing: false };
    this.entries.set(key, entry);
    value.then(
      () => {
        entry.settled = true;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return value;
  }

  clear(): void {
    this.generation += 1;
    this.entries.clear();
  }
}
