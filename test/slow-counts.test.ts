import { Injectable, Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PoolClient } from 'pg';
import { JobHandler, JobsObservabilityModule, JobsService } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { ChangeFeedHub, JOBS_STORAGE, type JobsStorage } from './support/internals';
import { listenLocally, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('slow.ok', { queue: 'slow' })
class OkHandler {
  async handle(): Promise<void> {}
}

/**
 * Issue 27: when the queue counts cannot be read in time, `/api/queues` answers 503 with the reason
 * (never 500), the counts are not tried again at every request, `/metrics` still answers, and the
 * change feed backs off a failing read instead of repeating it every tick.
 */
describe('counts that cannot be read: 503, no tight loop; the change feed backs off', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;
  let storage: JobsStorage;
  const warnings: string[] = [];
  const warn = Logger.prototype.warn;

  before(async () => {
    Logger.prototype.warn = function (this: Logger, message: unknown, ...rest: unknown[]) {
      warnings.push(String(message));
      return warn.call(this, message, ...rest);
    } as typeof warn;
    t = await createTestApp(
      [OkHandler],
      { pollIntervalMs: 50, statsTimeoutMs: 300, statsCacheMs: 100 },
      { imports: [...restApiImports({ changesIntervalMs: 100 }).imports!, JobsObservabilityModule.forRoot()] },
    );
    base = await listenLocally(t);
    storage = t.app.get<JobsStorage>(JOBS_STORAGE);
  });
  after(async () => {
    Logger.prototype.warn = warn;
    await disposeTestApp(t, pool);
    await pool.end();
  });

  /** Runs `work` while another session holds the jobs table locked (every read of it waits). */
  async function whileLocked(work: () => Promise<void>): Promise<void> {
    const client: PoolClient = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`LOCK TABLE "${t.schema}".jobs IN ACCESS EXCLUSIVE MODE`);
      await work();
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  it('GET /api/queues answers 503 StatementTimeout, counts once per back-off, /metrics answers; then recovers', async () => {
    const counts = storage.stats.counts.bind(storage.stats);
    let calls = 0;
    storage.stats.counts = (ms: number) => (calls++, counts(ms));
    try {
      await whileLocked(async () => {
        const first = await fetch(`${base}/api/queues`);
        const body = (await first.json()) as { error: string; message: string };
        assert.equal(first.status, 503);
        assert.equal(body.error, 'StatementTimeout');
        assert.match(body.message, /count jobs by state.*300 ms/);
        for (let i = 0; i < 5; i++) assert.equal((await fetch(`${base}/api/queues`)).status, 503);
        assert.equal(calls, 1, 'one count during the back-off, whatever the requests');
        const metrics = await fetch(`${base}/metrics`);
        assert.equal(metrics.status, 200);
        assert.match(await metrics.text(), /^jobs_queue_counts_failed 1$/m);
      });
      assert.equal(warnings.filter((w) => w.startsWith('Counting jobs by state failed')).length, 1, 'logged once');
      await t.app.get(JobsService).enqueue('slow.ok', {});
      // The back-off (2 s) ends; the next count works and the queue is listed.
      await waitFor(async () => (await fetch(`${base}/api/queues`)).status === 200, { timeoutMs: 10_000 });
      assert.match(await (await fetch(`${base}/metrics`)).text(), /^jobs_queue_counts_failed 0$/m);
    } finally {
      storage.stats.counts = counts;
    }
  });

  it('the change feed backs off a failing read and logs it once; it reports changes again after', async () => {
    const newJobs = storage.changes.newJobs.bind(storage.changes);
    let calls = 0;
    let failing = true;
    storage.changes.newJobs = (after: string, limit: number) => {
      calls++;
      return failing ? Promise.reject(new Error('simulated read failure')) : newJobs(after, limit);
    };
    const abort = new AbortController();
    try {
      const res = await fetch(`${base}/api/changes`, { signal: abort.signal });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let text = '';
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      })();
      await new Promise((r) => setTimeout(r, 2_000));
      // Every 100 ms for 2 s would be 20 reads; backing off (100, 200, 400, 800 ms...) makes 5 or so.
      assert.ok(calls >= 2 && calls <= 7, `${calls} failing reads in 2 s`);
      assert.equal(warnings.filter((w) => w.startsWith('Reading job changes failed')).length, 1, 'logged once');
      failing = false;
      const job = await t.app.get(JobsService).enqueue('slow.ok', {});
      await waitFor(() => text.includes(`"id":"${job.id}"`), { timeoutMs: 15_000 });
    } finally {
      abort.abort();
      storage.changes.newJobs = newJobs;
    }
  });

  it('a poll still reading when the last client leaves drops what it read (no BigInt of null)', async () => {
    const hub = t.app.get(ChangeFeedHub);
    await waitFor(() => !hub.active, { timeoutMs: 5_000 });
    const running = storage.changes.running.bind(storage.changes);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = false;
    storage.changes.running = async (limit: number) => {
      held = true;
      await gate;
      return running(limit);
    };
    const before = warnings.length;
    try {
      const unsubscribe = hub.subscribe({ write: () => undefined, buffered: () => 0, end: () => undefined });
      await waitFor(() => held, { timeoutMs: 5_000 });
      unsubscribe(); // the last client leaves while the poll waits for its reads
      assert.equal(hub.active, false);
      release();
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(warnings.slice(before), [], 'the poll ended quietly');
    } finally {
      storage.changes.running = running;
    }
  });
});
