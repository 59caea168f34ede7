import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  InvalidJobHandlerError,
  JobHandler,
  JobSchedulesService,
  ScheduleConflictError,
  type Schedule,
} from 'nest-pg-jobs';
import { createTestApp, type TestApp } from './support/app';
import { assertionPool, dropSchema, uniqueSchema } from './support/database';

// Schedules declared in code (`@JobHandler(type, { schedule })`) and their reconciliation at
// start-up, with two versions of the code on one schema, as during a rolling deploy.

@Injectable()
@JobHandler('report', { queue: 'reports', schedule: { cron: '0 3 * * *', timeZone: 'Europe/Paris' } })
class ReportV1 {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('report', { queue: 'reports', schedule: { cron: '0 5 * * *', timeZone: 'Europe/Paris', overlap: 'skip' } })
class ReportV2 {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('cleanup', {
  schedule: [
    { name: 'cleanup-hourly', cron: '0 * * * *' },
    { name: 'cleanup-nightly', cron: '0 4 * * *', payload: { deep: true } },
  ],
})
class CleanupV1 {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('cleanup', { schedule: [{ name: 'cleanup-hourly', cron: '0 * * * *' }] })
class CleanupV2 {
  async handle(): Promise<void> {}
}

/** Only the old code has a handler for this type (another application, say). */
@Injectable()
@JobHandler('legacy', { schedule: { intervalMs: 3_600_000 } })
class LegacyHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('broken', { schedule: { cron: '0 25 * * *' } })
class BrokenSchedule {
  async handle(): Promise<void> {}
}

describe('schedules declared in code', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('code');
  const apps: TestApp[] = [];
  // Workers off: these apps only reconcile; nothing fires (every tick is hours away anyway).
  const start = async (handlers: Array<new () => unknown>) => {
    const app = await createTestApp(handlers, { schema, workers: false });
    apps.push(app);
    return app;
  };
  const read = async (t: TestApp): Promise<Record<string, Schedule>> =>
    Object.fromEntries((await t.app.get(JobSchedulesService).list()).map((s) => [s.name, s]));

  before(async () => {
    await dropSchema(pool, schema);
  });
  after(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('writes the declared schedules at start-up, named by type unless named', async () => {
    const v1 = await start([ReportV1, CleanupV1, LegacyHandler]);
    const s = await read(v1);
    assert.deepEqual(Object.keys(s).sort(), ['cleanup-hourly', 'cleanup-nightly', 'legacy', 'report']);
    assert.equal(s.report.source, 'code');
    assert.equal(s.report.queue, 'reports', "the handler's queue");
    assert.equal(s.report.cron, '0 3 * * *');
    assert.equal(s.report.timeZone, 'Europe/Paris');
    // The next 03:00 in Paris, at 01:00 or 02:00 UTC depending on the season.
    const hourUtc = s.report.nextRunAt.getUTCHours();
    assert.ok(hourUtc === 1 || hourUtc === 2, `03:00 Paris is ${s.report.nextRunAt.toISOString()}`);
    assert.deepEqual(s['cleanup-nightly'].payload, { deep: true });
    await assert.rejects(
      v1.app.get(JobSchedulesService).update('report', { cron: '0 6 * * *' }),
      ScheduleConflictError,
      'a code schedule is changed in code',
    );
  });

  it('a newer version updates what changed and stops (without deleting) what it no longer declares', async () => {
    const before = await read(apps[0]);
    const v2 = await start([ReportV2, CleanupV2]);
    const s = await read(v2);
    assert.equal(s.report.cron, '0 5 * * *');
    assert.equal(s.report.overlap, 'skip');
    assert.notEqual(s.report.nextRunAt.getTime(), before.report.nextRunAt.getTime(), 'new cadence, new next tick');
    assert.equal(s['cleanup-hourly'].updatedAt.getTime(), before['cleanup-hourly'].updatedAt.getTime(), 'unchanged');
    assert.equal(s['cleanup-nightly'].removedFromCode, true, 'no longer declared: stopped');
    assert.equal(s.legacy.removedFromCode, false, 'a type this node does not handle is left alone');
    const due = await pool.query(
      `SELECT name FROM "${schema}".schedules WHERE NOT paused AND NOT removed_from_code ORDER BY name`,
    );
    assert.deepEqual(
      due.rows.map((r) => r.name),
      ['cleanup-hourly', 'legacy', 'report'],
    );
  });

  it('an old node starting again brings its declarations back; a removed schedule can be deleted', async () => {
    const v1again = await start([ReportV1, CleanupV1, LegacyHandler]);
    let s = await read(v1again);
    assert.equal(s.report.cron, '0 3 * * *', 'the node that started last wins');
    assert.equal(s['cleanup-nightly'].removedFromCode, false);
    const v2again = await start([ReportV2, CleanupV2]);
    s = await read(v2again);
    assert.equal(s['cleanup-nightly'].removedFromCode, true);
    const service = v2again.app.get(JobSchedulesService);
    await service.remove('cleanup-nightly');
    assert.equal(await service.get('cleanup-nightly'), null);
  });

  it('a bad declaration fails the start, naming the class and the field', async () => {
    const other = uniqueSchema('broken');
    await assert.rejects(
      createTestApp([BrokenSchedule], { schema: other, workers: false }),
      (err: unknown) =>
        err instanceof InvalidJobHandlerError && /BrokenSchedule/.test(err.message) && /cron/.test(err.message),
    );
    await dropSchema(pool, other);
  });
});
