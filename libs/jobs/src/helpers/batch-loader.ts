import DataLoader from 'dataloader';

/** A loader of many keys at once: resolves to one value or `Error` per key, in the keys' order. */
export type BatchLoadFn<K, V> = DataLoader.BatchLoadFn<K, V>;

/** What `createBatchLoader` returns: a `DataLoader` (see the `dataloader` package). */
export type BatchLoader<K, V, C = K> = DataLoader<K, V, C>;

/** DataLoader's options; here `cache` defaults to `false`. `maxBatchSize` (default: no limit) splits
 * larger batches into several calls. Caching (`cache: true`) suits only a loader made per job: a
 * cached value would otherwise outlive the job and go stale. */
export type BatchLoaderOptions<K, V, C = K> = DataLoader.Options<K, V, C>;

/**
 * Coalesces the `load(key)` calls made in one tick (for example by the handlers of the jobs a claim
 * started together, or by a loop in one handler) into one call of `batchFn`, against N+1 queries.
 * `batchFn` gets the keys and must resolve to an array of the same length and order, holding an
 * `Error` for each key that failed: that key's `load` rejects with it, the others resolve.
 *
 * Caching is off by default, so one loader can be kept for the life of the process and shared by
 * jobs: every tick reads fresh data. With caching off, a key asked twice in one tick appears twice
 * in the batch. Built on `dataloader`; see its documentation for `loadMany`, `prime` and `clear`.
 */
export function createBatchLoader<K, V, C = K>(
  batchFn: BatchLoadFn<K, V>,
  options: BatchLoaderOptions<K, V, C> = {},
): BatchLoader<K, V, C> {
  return new DataLoader<K, V, C>(batchFn, { cache: false, ...options });
}
