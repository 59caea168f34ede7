export interface TtlCacheOptions {
  /** How long a value stays fresh after it is stored, unless `set`/`getOrLoad` says otherwise. */
  ttlMs: number;
  /** Most values kept (default 1000); past it the oldest stored are evicted. */
  maxEntries?: number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

function checkPositive(field: string, value: number, integer: boolean): void {
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value)))
    throw new RangeError(`TtlCache: ${field} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
}

/**
 * A bounded in-memory cache with expiry and single-flight loading, against cache stampedes: however
 * many callers ask `getOrLoad` for the same missing key at once, one load runs and they all await
 * it. Values are kept for their TTL; a failed load is not kept, so the next caller loads again.
 * At most `maxEntries` values are held: expired ones are dropped when read and when the bound is
 * reached, then the oldest stored are evicted.
 *
 * Memory of one process only: use it for data that may be a little stale (reference data, tokens,
 * settings), never as the record of what a job already did.
 */
export class TtlCache<K, V> {
  private readonly values = new Map<K, Entry<V>>();
  private readonly loading = new Map<K, Promise<V>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  /** No value expires before this (a lower bound: lets `set` skip a sweep that would find nothing). */
  private earliestExpiry = Infinity;

  constructor(options: TtlCacheOptions) {
    checkPositive('ttlMs', options.ttlMs, false);
    checkPositive('maxEntries', options.maxEntries ?? 1_000, true);
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 1_000;
  }

  /** Values held, expired ones not yet dropped included. */
  get size(): number {
    return this.values.size;
  }

  /** The fresh value of `key`, or `undefined`. */
  get(key: K): V | undefined {
    return this.fresh(key)?.value;
  }

  has(key: K): boolean {
    return this.fresh(key) !== undefined;
  }

  /** Stores `value` for `ttlMs` (default: the cache's), as the newest entry. */
  set(key: K, value: V, ttlMs = this.ttlMs): this {
    checkPositive('ttlMs', ttlMs, false);
    const expiresAt = Date.now() + ttlMs;
    this.values.delete(key);
    this.values.set(key, { value, expiresAt });
    this.earliestExpiry = Math.min(this.earliestExpiry, expiresAt);
    if (this.values.size > this.maxEntries) this.shrink();
    return this;
  }

  /** Forgets `key`, and a load of it in flight: its result will not be stored. */
  delete(key: K): boolean {
    const loading = this.loading.delete(key);
    return this.values.delete(key) || loading;
  }

  clear(): void {
    this.values.clear();
    this.loading.clear();
    this.earliestExpiry = Infinity;
  }

  /**
   * The fresh value of `key`, else the result of the load in flight for it, else of a new
   * `loader(key)`, stored for `ttlMs` once it resolves. A rejection reaches every caller waiting for
   * that load and is not stored.
   */
  getOrLoad(key: K, loader: (key: K) => V | PromiseLike<V>, ttlMs = this.ttlMs): Promise<V> {
    const hit = this.fresh(key);
    if (hit) return Promise.resolve(hit.value);
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    checkPositive('ttlMs', ttlMs, false);
    let load: Promise<V>;
    try {
      load = Promise.resolve(loader(key));
    } catch (err) {
      load = Promise.reject(err);
    }
    this.loading.set(key, load);
    // Registered before any caller's own handlers, so the value is stored before they resume.
    load.then(
      (value) => {
        if (this.loading.get(key) !== load) return; // deleted or cleared meanwhile
        this.loading.delete(key);
        this.set(key, value, ttlMs);
      },
      () => {
        if (this.loading.get(key) === load) this.loading.delete(key);
      },
    );
    return load;
  }

  private fresh(key: K): Entry<V> | undefined {
    const entry = this.values.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry;
    this.values.delete(key);
    return undefined;
  }

  /** Over the bound: drop the expired values (if any can be), then the oldest stored. */
  private shrink(): void {
    const now = Date.now();
    if (this.earliestExpiry <= now) {
      this.earliestExpiry = Infinity;
      for (const [key, entry] of this.values) {
        if (entry.expiresAt <= now) this.values.delete(key);
        else this.earliestExpiry = Math.min(this.earliestExpiry, entry.expiresAt);
      }
    }
    for (const key of this.values.keys()) {
      if (this.values.size <= this.maxEntries) break;
      this.values.delete(key);
    }
  }
}
