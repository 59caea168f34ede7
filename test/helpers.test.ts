import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createBatchLoader, TtlCache } from 'nest-pg-jobs';
import { deferred } from './support/wait';

describe('TtlCache', () => {
  it('runs one load for 100 concurrent callers of one key, and all get its value', async () => {
    const cache = new TtlCache<string, { n: number }>({ ttlMs: 10_000 });
    const gate = deferred();
    let loads = 0;
    const loader = async (key: string) => {
      loads += 1;
      assert.equal(key, 'k');
      await gate.promise;
      return { n: loads };
    };
    const waiting = Array.from({ length: 100 }, () => cache.getOrLoad('k', loader));
    assert.equal(loads, 1, 'the load started once');
    gate.resolve();
    const values = await Promise.all(waiting);
    assert.equal(loads, 1);
    for (const v of values) assert.equal(v, values[0], 'every caller gets the same value');
    assert.deepEqual(values[0], { n: 1 });
    // Now it is cached: no load at all.
    assert.equal(await cache.getOrLoad('k', loader), values[0]);
    assert.equal(cache.get('k'), values[0]);
    assert.equal(loads, 1);
  });

  it('loads different keys independently', async () => {
    const cache = new TtlCache<number, number>({ ttlMs: 10_000 });
    const seen: number[] = [];
    const values = await Promise.all(
      [1, 2, 3, 1, 2, 3].map((k) =>
        cache.getOrLoad(k, async (key) => {
          seen.push(key);
          return key * 10;
        }),
      ),
    );
    assert.deepEqual(values, [10, 20, 30, 10, 20, 30]);
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('reloads after the TTL; a per-call TTL overrides the default', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 60 });
    let loads = 0;
    const loader = () => ++loads;
    assert.equal(await cache.getOrLoad('a', loader), 1);
    assert.equal(await cache.getOrLoad('a', loader), 1);
    await sleep(90);
    assert.equal(cache.get('a'), undefined, 'expired');
    assert.equal(cache.has('a'), false);
    assert.equal(cache.size, 0, 'the expired entry was dropped when read');
    assert.equal(await cache.getOrLoad('a', loader), 2, 'reloaded');
    assert.equal(await cache.getOrLoad('b', loader, 10_000), 3);
    await sleep(90);
    assert.equal(await cache.getOrLoad('b', loader), 3, 'the longer TTL of b still holds');
    assert.equal(await cache.getOrLoad('a', loader), 4);
  });

  it('does not cache a rejection: every concurrent waiter gets it, the next caller loads again', async () => {
    const cache = new TtlCache<string, string>({ ttlMs: 10_000 });
    const gate = deferred();
    let loads = 0;
    const failing = async () => {
      loads += 1;
      await gate.promise;
      throw new Error('backend down');
    };
    const waiting = Array.from({ length: 20 }, () => cache.getOrLoad('k', failing));
    gate.resolve();
    const results = await Promise.allSettled(waiting);
    assert.equal(loads, 1);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.message, 'backend down');
    }
    assert.equal(cache.has('k'), false);
    assert.equal(await cache.getOrLoad('k', async () => 'ok'), 'ok', 'the next caller loads again');
    assert.equal(cache.get('k'), 'ok');
  });

  it('turns a loader that throws synchronously into a rejection, not cached', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 10_000 });
    await assert.rejects(
      cache.getOrLoad('k', () => {
        throw new Error('sync');
      }),
      /sync/,
    );
    assert.equal(await cache.getOrLoad('k', () => 5), 5);
  });

  it('holds at most maxEntries, evicting the oldest stored', async () => {
    const cache = new TtlCache<number, number>({ ttlMs: 10_000, maxEntries: 10 });
    for (let i = 0; i < 1_000; i++) {
      await cache.getOrLoad(i, async (k) => k);
      assert.ok(cache.size <= 10, `size ${cache.size} after ${i + 1} keys`);
    }
    assert.equal(cache.size, 10);
    for (let i = 0; i < 990; i++) assert.equal(cache.get(i), undefined, `key ${i} evicted`);
    for (let i = 990; i < 1_000; i++) assert.equal(cache.get(i), i);
    // Storing a key again makes it the newest.
    cache.set(990, -1);
    cache.set(1_000, 1_000);
    assert.equal(cache.get(990), -1);
    assert.equal(cache.get(991), undefined, 'the oldest went first');
    assert.equal(cache.size, 10);
  });

  it('drops expired entries before evicting live ones when over the bound', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 10_000, maxEntries: 3 });
    cache.set('live-1', 1);
    cache.set('short-1', 2, 20);
    cache.set('short-2', 3, 20);
    await sleep(40);
    cache.set('live-2', 4);
    assert.equal(cache.size, 2, 'both expired entries dropped, nothing live evicted');
    assert.equal(cache.get('live-1'), 1);
    assert.equal(cache.get('live-2'), 4);
  });

  it('delete and clear forget values and loads in flight', async () => {
    const cache = new TtlCache<string, number>({ ttlMs: 10_000 });
    cache.set('a', 1).set('b', 2);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    assert.equal(cache.get('a'), undefined);
    const gate = deferred();
    const stale = cache.getOrLoad('b2', async () => {
      await gate.promise;
      return 1;
    });
    cache.delete('b2');
    // A new caller does not join the forgotten load, and its result is not overwritten by it.
    const fresh = cache.getOrLoad('b2', async () => 2);
    assert.equal(await fresh, 2);
    gate.resolve();
    assert.equal(await stale, 1, 'the callers of the forgotten load still get its value');
    assert.equal(cache.get('b2'), 2);
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.get('b'), undefined);
  });

  it('rejects nonsense options', () => {
    assert.throws(() => new TtlCache({ ttlMs: 0 }), RangeError);
    assert.throws(() => new TtlCache({ ttlMs: 100, maxEntries: 0 }), RangeError);
    assert.throws(() => new TtlCache({ ttlMs: 100, maxEntries: 1.5 }), RangeError);
    assert.throws(() => new TtlCache({ ttlMs: Number.NaN }), RangeError);
  });
});

describe('createBatchLoader', () => {
  it('coalesces 50 loads made in one tick into one call with 50 keys', async () => {
    const calls: number[][] = [];
    const loader = createBatchLoader<number, string>(async (keys) => {
      calls.push([...keys]);
      return keys.map((k) => `v${k}`);
    });
    const keys = Array.from({ length: 50 }, (_, i) => i);
    const values = await Promise.all(keys.map((k) => loader.load(k)));
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], keys);
    assert.deepEqual(
      values,
      keys.map((k) => `v${k}`),
    );
  });

  it('splits a batch by maxBatchSize', async () => {
    const calls: number[][] = [];
    const loader = createBatchLoader<number, number>(
      async (keys) => {
        calls.push([...keys]);
        return keys.map((k) => k * 2);
      },
      { maxBatchSize: 16 },
    );
    const keys = Array.from({ length: 50 }, (_, i) => i);
    const values = await Promise.all(keys.map((k) => loader.load(k)));
    assert.equal(calls.length, Math.ceil(50 / 16));
    assert.deepEqual(
      calls.map((c) => c.length),
      [16, 16, 16, 2],
    );
    assert.deepEqual(
      values,
      keys.map((k) => k * 2),
    );
  });

  it('rejects only the keys whose entry is an Error; a failed batch rejects all of its keys', async () => {
    const loader = createBatchLoader<number, number>(async (keys) =>
      keys.map((k) => (k % 2 === 0 ? k : new Error(`odd key ${k}`))),
    );
    const results = await Promise.allSettled([1, 2, 3, 4].map((k) => loader.load(k)));
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['odd key 1', 2, 'odd key 3', 4],
    );
    const broken = createBatchLoader<number, number>(async () => {
      throw new Error('database away');
    });
    const all = await Promise.allSettled([1, 2].map((k) => broken.load(k)));
    assert.deepEqual(
      all.map((r) => r.status === 'rejected' && (r.reason as Error).message),
      ['database away', 'database away'],
    );
  });

  it('does not cache across ticks by default (safe to keep across jobs); caches when asked', async () => {
    let version = 0;
    const calls: number[][] = [];
    const batchFn = async (keys: readonly number[]) => {
      calls.push([...keys]);
      return keys.map(() => version);
    };
    const shared = createBatchLoader<number, number>(batchFn);
    assert.equal(await shared.load(1), 0);
    version = 1;
    assert.equal(await shared.load(1), 1, 'fresh data on the next tick');
    assert.equal(calls.length, 2);

    const perJob = createBatchLoader<number, number>(batchFn, { cache: true });
    const [a, b] = await Promise.all([perJob.load(7), perJob.load(7)]);
    assert.deepEqual([a, b], [1, 1]);
    version = 2;
    assert.equal(await perJob.load(7), 1, 'cached');
    assert.deepEqual(calls.slice(2), [[7]], 'one key, loaded once');
  });
});
