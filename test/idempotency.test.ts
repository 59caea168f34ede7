import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidJobOptionsError, JobHandler, type EnqueueItem } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, uniqueSchema } from './support/database';
import { listenLocally, postJson, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('idem.noop')
class NoopHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('idem.other')
class OtherHandler {
  async handle(): Promise<void> {}
}

const HANDLERS = [NoopHandler, OtherHandler];

interface KeyRow {
  id: string;
  state: string;
  idempotency_key: string | null;
  idempotency_active: boolean;
  finished_at: Date | null;
}

describe('idempotency keys', () => {
  const pool = assertionPool();
  let t: TestApp;

  const rowsWithKey = async (key: string, schema = t.schema): Promise<KeyRow[]> =>
    (
      await pool.query<KeyRow>(
        `SELECT id, state, idempotency_key, idempotency_active, finished_at FROM "${schema}".jobs
         WHERE idempotency_key = $1 ORDER BY id`,
        [key],
      )
    ).rows;
  const count = async (schema = t.schema): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`)).rows[0].n;
  const completed = (id: string, schema = t.schema) =>
    waitFor(
      async () => {
        const r = await pool.query<KeyRow>(`SELECT id, state, finished_at FROM "${schema}".jobs WHERE id = $1`, [id]);
        return r.rows[0]?.state === 'completed' ? r.rows[0] : undefined;
      },
      { message: `job ${id} to complete` },
    );

  before(async () => {
    t = await createTestApp(HANDLERS);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('50 concurrent enqueues of one key, from two nodes, create exactly one job', async () => {
    const producer = await createTestApp(HANDLERS, { schema: t.schema, workers: false, migrationsRun: false });
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? t : producer).jobs.enqueue('idem.noop', { attempt: i }, { idempotencyKey: 'order-50' }),
        ),
      );
      const created = results.filter((j) => j.created);
      assert.equal(created.length, 1, 'exactly one call created the job');
      assert.equal(results.filter((j) => !j.created).length, 49);
      const [job] = created;
      for (const r of results) {
        assert.equal(r.id, job.id);
        assert.equal(r.idempotencyKey, 'order-50');
        assert.deepEqual(r.payload, job.payload, 'every caller sees the payload of the job that was created');
      }
      const rows = await rowsWithKey('order-50');
      assert.equal(rows.length, 1, 'one row in the database');
      assert.equal(rows[0].id, job.id);
      assert.equal(rows[0].idempotency_active, true);
      await completed(job.id);
    } finally {
      await producer.close();
    }
  });

  it('a second enqueue returns the existing job, even once it finished; the key is per type', async () => {
    const first = await t.jobs.enqueue('idem.noop', { n: 1 }, { idempotencyKey: 'welcome-7' });
    assert.equal(first.created, true);
    assert.equal(first.idempotencyKey, 'welcome-7');
    await completed(first.id);
    const again = await t.jobs.enqueue('idem.noop', { n: 2 }, { idempotencyKey: 'welcome-7', priority: 5 });
    assert.equal(again.created, false);
    assert.equal(again.id, first.id);
    assert.equal(again.state, 'completed', 'the existing job as it is now');
    assert.deepEqual(again.payload, { n: 1 }, 'the second payload is not written');

    const otherType = await t.jobs.enqueue('idem.other', {}, { idempotencyKey: 'welcome-7' });
    assert.equal(otherType.created, true, 'same key, another type: another job');
    assert.notEqual(otherType.id, first.id);
    assert.equal((await rowsWithKey('welcome-7')).length, 2);

    const plain = await Promise.all([t.jobs.enqueue('idem.noop', {}), t.jobs.enqueue('idem.noop', {})]);
    assert.deepEqual(
      plain.map((j) => [j.created, j.idempotencyKey]),
      [
        [true, null],
        [true, null],
      ],
    );
    assert.notEqual(plain[0].id, plain[1].id);
  });

  it('rejects invalid keys naming idempotencyKey, and writes nothing', async () => {
    const before = await count();
    const bad: unknown[] = ['', 'x'.repeat(256), 42, 'a\u0000b', null];
    for (const key of bad) {
      await assert.rejects(
        t.jobs.enqueue('idem.noop', {}, { idempotencyKey: key as string }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidJobOptionsError, String(err));
          assert.equal(err.field, 'idempotencyKey');
          return true;
        },
        JSON.stringify(key),
      );
    }
    await assert.rejects(
      t.jobs.enqueueMany([
        { type: 'idem.noop', payload: {}, idempotencyKey: 'fine' },
        { type: 'idem.noop', payload: {}, idempotencyKey: '' },
      ]),
      (err: unknown) => err instanceof InvalidJobOptionsError && err.field === 'items[1].idempotencyKey',
    );
    assert.equal(await count(), before, 'nothing was written');
    const longest = await t.jobs.enqueue('idem.noop', {}, { idempotencyKey: 'k'.repeat(255), delayMs: 600_000 });
    assert.equal(longest.idempotencyKey, 'k'.repeat(255));
  });

  it('enqueueMany: keys per item, input order, repeated keys in a batch share one job', async () => {
    const existing = await t.jobs.enqueue('idem.noop', { name: 'before' }, { idempotencyKey: 'batch-held' });
    const items: Array<EnqueueItem<{ name: string }>> = [
      { type: 'idem.noop', payload: { name: 'a' }, idempotencyKey: 'batch-a' },
      { type: 'idem.noop', payload: { name: 'plain-1' } },
      { type: 'idem.noop', payload: { name: 'held' }, idempotencyKey: 'batch-held' },
      { type: 'idem.noop', payload: { name: 'a-again' }, idempotencyKey: 'batch-a' },
      { type: 'idem.other', payload: { name: 'a-other-type' }, idempotencyKey: 'batch-a' },
      { type: 'idem.noop', payload: { name: 'plain-2' } },
    ];
    const jobs = await t.jobs.enqueueMany(items);
    assert.equal(jobs.length, items.length);
    assert.deepEqual(
      jobs.map((j) => [j.payload.name, j.created]),
      [
        ['a', true],
        ['plain-1', true],
        ['before', false],
        ['a', false],
        ['a-other-type', true],
        ['plain-2', true],
      ],
    );
    assert.equal(jobs[2].id, existing.id);
    assert.equal(jobs[3].id, jobs[0].id);
    assert.notEqual(jobs[4].id, jobs[0].id);
    assert.equal((await rowsWithKey('batch-a')).length, 2, 'one job per type');
    assert.equal((await rowsWithKey('batch-held')).length, 1);

    // The same batch again: every keyed item gets its existing job; the items without a key are new.
    const again = await t.jobs.enqueueMany(items);
    assert.deepEqual(
      again.map((j) => j.created),
      [false, true, false, false, false, true],
    );
    assert.deepEqual(
      [0, 2, 3, 4].map((i) => again[i].id),
      [0, 2, 3, 4].map((i) => jobs[i].id),
    );
    for (const job of [...jobs, ...again]) await completed(job.id);
  });

  it('concurrent batches sharing keys create one job per key', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `shared-${i}`);
    const batches = await Promise.all(
      Array.from({ length: 8 }, (_, b) =>
        t.jobs.enqueueMany(keys.map((key) => ({ type: 'idem.noop', payload: { b }, idempotencyKey: key }))),
      ),
    );
    for (const [i, key] of keys.entries()) {
      const results = batches.map((jobs) => jobs[i]);
      assert.equal(new Set(results.map((j) => j.id)).size, 1, `${key}: one job`);
      assert.equal(results.filter((j) => j.created).length, 1, `${key}: created once`);
      assert.equal((await rowsWithKey(key)).length, 1);
    }
  });

  it('after the window, maintenance releases a finished job\u2019s key and it can be used again', async () => {
    const schema = uniqueSchema();
    const w = await createTestApp(HANDLERS, { schema, idempotencyWindowMs: 1_000 });
    try {
      // Unfinished, a key is held however short the window.
      const held = await w.jobs.enqueue('idem.noop', {}, { idempotencyKey: 'reuse', delayMs: 1_500 });
      assert.equal(held.state, 'scheduled');
      const blocked = await w.jobs.enqueue('idem.noop', {}, { idempotencyKey: 'reuse' });
      assert.equal(blocked.created, false);
      assert.equal(blocked.id, held.id);
      await completed(held.id, schema);

      const released = await waitFor(
        async () => {
          const [row] = await rowsWithKey('reuse', schema);
          return row.idempotency_active ? undefined : row;
        },
        { message: 'maintenance to release the key' },
      );
      const kept = await pool.query<{ ok: boolean }>(
        `SELECT now() >= finished_at + interval '1000 milliseconds' AS ok FROM "${schema}".jobs WHERE id = $1`,
        [held.id],
      );
      assert.equal(kept.rows[0].ok, true, 'not released before the window');
      assert.equal(released.idempotency_key, 'reuse', 'the key stays on the job, for search');

      const reused = await w.jobs.enqueue('idem.noop', {}, { idempotencyKey: 'reuse' });
      assert.equal(reused.created, true);
      assert.notEqual(reused.id, held.id);
      const rows = await rowsWithKey('reuse', schema);
      assert.deepEqual(
        rows.map((r) => [r.id, r.idempotency_active]),
        [
          [held.id, false],
          [reused.id, true],
        ],
      );
    } finally {
      await disposeTestApp(w, pool);
    }
  });

  it('a producer-only node (no maintenance) recognises an expired key at enqueue time', async () => {
    const schema = uniqueSchema();
    let worker: TestApp | undefined;
    let producer: TestApp | undefined;
    try {
      // The worker keeps keys 24 h, so its maintenance never releases this one during the test.
      worker = await createTestApp(HANDLERS, { schema });
      producer = await createTestApp(HANDLERS, {
        schema,
        workers: false,
        migrationsRun: false,
        idempotencyWindowMs: 300,
      });
      const first = await producer.jobs.enqueue('idem.noop', {}, { idempotencyKey: 'lazy' });
      await completed(first.id, schema);
      await waitFor(
        async () =>
          (
            await pool.query<{ ok: boolean }>(
              `SELECT now() > finished_at + interval '300 milliseconds' AS ok FROM "${schema}".jobs WHERE id = $1`,
              [first.id],
            )
          ).rows[0].ok,
        { message: 'the window to pass' },
      );
      assert.equal((await rowsWithKey('lazy', schema))[0].idempotency_active, true, 'no maintenance released it');
      const second = await producer.jobs.enqueue('idem.noop', {}, { idempotencyKey: 'lazy' });
      assert.equal(second.created, true);
      assert.notEqual(second.id, first.id);
      // Within the window (the worker's 24 h) the same key is still answered with the new job.
      const third = await worker.jobs.enqueue('idem.noop', {}, { idempotencyKey: 'lazy' });
      assert.equal(third.created, false);
      assert.equal(third.id, second.id);
      assert.deepEqual(
        (await rowsWithKey('lazy', schema)).map((r) => r.idempotency_active),
        [false, true],
      );
      await completed(second.id, schema);
    } finally {
      await producer?.close().catch(() => undefined);
      await disposeTestApp(worker, pool);
    }
  });

  it('REST: 201 when created, then 200 with the same job and Idempotent-Replayed: true', async () => {
    const schema = uniqueSchema('rest');
    const r = await createTestApp(HANDLERS, { schema }, restApiImports());
    try {
      const url = `${await listenLocally(r)}/api/jobs`;
      const body = { type: 'idem.noop', payload: { to: 'ada' }, idempotencyKey: 'rest-key-1' };
      const first = await postJson(url, body);
      assert.equal(first.status, 201, first.text);
      assert.equal(first.headers.get('idempotent-replayed'), 'false');
      assert.equal(first.body.created, true);
      assert.equal(first.body.idempotencyKey, 'rest-key-1');

      const second = await postJson(url, { ...body, payload: { to: 'someone else' } });
      assert.equal(second.status, 200, second.text);
      assert.equal(second.headers.get('idempotent-replayed'), 'true');
      assert.equal(second.body.created, false);
      assert.equal(second.body.id, first.body.id);
      assert.deepEqual(second.body.payload, { to: 'ada' });

      const plain = await postJson(url, { type: 'idem.noop', payload: {} });
      assert.equal(plain.status, 201, plain.text);
      assert.equal(plain.headers.get('idempotent-replayed'), 'false');
      assert.equal(plain.body.idempotencyKey, null);

      const bad = await postJson(url, { type: 'idem.noop', idempotencyKey: 7 });
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.body.field, 'idempotencyKey');
      assert.equal(await count(schema), 2);
    } finally {
      await disposeTestApp(r, pool);
    }
  });
});
