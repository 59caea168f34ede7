import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, type JobChange } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { listenLocally, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('feed.ok', { queue: 'feed' })
class OkHandler {
  async handle(): Promise<void> {}
}

/** Reads `event: jobs` messages of an SSE stream as they arrive. */
async function openFeed(url: string): Promise<{ changes: JobChange[]; status: number; close: () => void }> {
  const abort = new AbortController();
  const res = await fetch(url, { signal: abort.signal });
  const changes: JobChange[] = [];
  if (res.status === 200) {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!block.startsWith('event: jobs\n')) continue;
            changes.push(...(JSON.parse(block.slice(block.indexOf('data: ') + 6)).changes as JobChange[]));
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { changes, status: res.status, close: () => abort.abort() };
}

/** Bug 3 of issue 13: the change feed reports the state changes of jobs it never saw before, such as
 * the completion of a job a page loaded before the stream opened. */
describe('change feed: every finish, and jobs a page asks to follow', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;

  before(async () => {
    t = await createTestApp([OkHandler], { pollIntervalMs: 50 }, restApiImports({ changesIntervalMs: 200 }));
    base = await listenLocally(t);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('jobs created before the stream opened send an event when they finish, one per job', async () => {
    // Rows another node would finish: created before the stream, never running while it watches.
    const early = await pool.query<{ id: string }>(
      `INSERT INTO "${t.schema}".jobs (queue, type, payload, state, max_attempts, run_at)
       SELECT 'elsewhere', 'x', '{}', 'scheduled', 1, now() + interval '1 hour' FROM generate_series(1, 23) RETURNING id`,
    );
    const ids = early.rows.map((r) => r.id);
    // And jobs this node runs, due a moment after the stream opens.
    const delayed: string[] = [];
    for (let i = 0; i < 5; i++) delayed.push((await t.jobs.enqueue('feed.ok', { i }, { delayMs: 1_500 })).id);
    const feed = await openFeed(`${base}/api/changes`);
    try {
      await waitFor(() => feed.changes.length === 0 && t.app.getHttpServer().listening, { message: 'stream open' });
      // Let the feed take its first look before anything finishes.
      const marker = await t.jobs.enqueue('feed.ok', { marker: true });
      await waitFor(() => feed.changes.some((c) => c.id === marker.id && c.state === 'completed'), {
        message: 'the marker job to be reported',
      });
      await pool.query(
        `UPDATE "${t.schema}".jobs SET state = CASE WHEN id % 3 = 0 THEN 'failed' ELSE 'completed' END,
           finished_at = now(), attempts = 1 WHERE id = ANY($1::bigint[])`,
        [ids],
      );
      const finishedIds = new Set([...ids, ...delayed]);
      await waitFor(
        () =>
          [...finishedIds].every((id) =>
            feed.changes.some((c) => c.id === id && ['completed', 'failed'].includes(c.state)),
          ),
        { message: 'an event for each of the 28 finished jobs' },
      );
      const reported = feed.changes.filter((c) => ids.includes(c.id));
      assert.deepEqual(
        reported.map((c) => [c.id, c.state, c.queue]).sort(),
        ids.map((id) => [id, Number(id) % 3 === 0 ? 'failed' : 'completed', 'elsewhere']).sort(),
        'each once, with its state and queue',
      );
    } finally {
      feed.close();
    }
  });

  it('?watch= follows jobs from the start: their state now, then each change', async () => {
    const jobs: Array<{ id: string }> = [];
    for (let i = 0; i < 3; i++) jobs.push(await t.jobs.enqueue('feed.ok', { w: i }, { delayMs: 3_600_000 }));
    const feed = await openFeed(`${base}/api/changes?watch=${jobs.map((j) => j.id).join(',')}`);
    try {
      await waitFor(() => jobs.every((j) => feed.changes.some((c) => c.id === j.id && c.state === 'scheduled')), {
        message: 'the watched jobs current state',
      });
      await pool.query(`UPDATE "${t.schema}".jobs SET state = 'pending', run_at = now() WHERE id = $1`, [jobs[0].id]);
      await waitFor(() => feed.changes.some((c) => c.id === jobs[0].id && c.state === 'completed'), {
        message: 'the promoted job to complete',
      });
    } finally {
      feed.close();
    }
    for (const [query, status] of [
      ['watch=1,abc', 400],
      [`watch=${Array.from({ length: 1001 }, (_, i) => i + 1).join(',')}`, 400],
      ['watch=1&watch=2', 400],
    ] as const) {
      const res = await fetch(`${base}/api/changes?${query}`);
      assert.equal(res.status, status, query);
      assert.equal(((await res.json()) as { field: string }).field, 'watch');
    }
  });
});
