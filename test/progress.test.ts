import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, JobsAdminService, type Job, type JobContext } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { deferred, waitFor } from './support/wait';

const gate = deferred();
let captured: JobContext | undefined;
const results: boolean[] = [];

@Injectable()
@JobHandler('report.job')
class ReportingHandler {
  async handle(_job: Job, ctx: JobContext): Promise<void> {
    captured = ctx;
    results.push(await ctx.log('fetched <b>42</b> rows'));
    // Many progress calls in a row are coalesced; the last value wins.
    await Promise.all([10, 20, 30, 40, 50].map((p) => ctx.progress(p)));
    await gate.promise;
  }
}

describe('ctx.log and ctx.progress', () => {
  const pool = assertionPool();
  let t: TestApp;
  let admin: JobsAdminService;

  before(async () => {
    t = await createTestApp([ReportingHandler]);
    admin = t.app.get(JobsAdminService);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('logs go to the timeline, progress to the detail, and only while the attempt is the node’s', async () => {
    const job = await t.jobs.enqueue('report.job', {});
    await waitFor(async () => (await admin.detail(job.id))?.progress === 50, { message: 'progress 50' });
    const running = await admin.detail(job.id);
    const log = running?.timeline.find((e) => e.event === 'log');
    assert.deepEqual(log?.detail, { message: 'fetched <b>42</b> rows' });
    assert.equal(log?.actor, t.runner.nodeId);
    assert.equal(
      running?.timeline.some((e) => e.event === 'progress'),
      false,
    );
    assert.deepEqual(results, [true]);
    const writes = await pool.query(`SELECT count(*)::int AS n FROM "${t.schema}".job_events WHERE kind = 'progress'`);
    assert.ok(writes.rows[0].n <= 5, `${writes.rows[0].n} progress rows`);

    gate.resolve();
    await waitFor(async () => (await t.jobs.get(job.id))?.state === 'completed', { message: 'completed' });
    // A handler that reports after its attempt ended is refused, and nothing is written.
    assert.equal(await captured!.log('too late'), false);
    assert.equal(await captured!.progress(99), false);
    const detail = await admin.detail(job.id);
    assert.equal(detail?.timeline.filter((e) => e.event === 'log').length, 1);
    assert.equal(detail?.progress, 50);
  });
});
