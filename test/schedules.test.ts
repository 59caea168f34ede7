import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  InvalidJobOptionsError,
  JobHandler,
  JobSchedulesService,
  ScheduleConflictError,
  type Job,
  type JobContext,
} from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { JOBS_STORAGE, type JobsStorage } from './support/internals';
import { deferred, waitFor } from './support/wait';

const gates = new Map<string, { promise: Promise<void>; resolve: () => void }>();
const aborted = new Set<string>();

@Injectable()
@JobHandler('tick')
class TickHandler {
  async handle(): Promise<void> {}
}

/** Runs until the test opens its gate, or its signal aborts (cancel). */
@Injectable()
@JobHandler('gated', { maxAttempts: 1 })
class GatedHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    const gate = deferred();
    gates.set(job.id, gate);
    ctx.signal.addEventListener('abort', () => {
      aborted.add(job.id);
      gate.resolve();
    });
    await gate.promise;
  }
}

interface RunRow {
  occurrence: Date;
  outcome: string;
  job_id: string | null;
  state: string | null;
}

describe('recurring jobs on one node', () => {
  const pool = assertionPool();
  let t: TestApp;
  let schedules: JobSchedulesService;

  const runs = async (name: string): Promise<RunRow[]> =>
    (
      await pool.query<RunRow>(
        `SELECT r.occurrence, r.outcome, r.job_id, j.state FROM "${t.schema}".schedule_runs r
         LEFT JOIN "${t.schema}".jobs j ON j.id = r.job_id WHERE r.schedule = $1 ORDER BY r.occurrence`,
        [name],
      )
    ).rows;
  const runsMatching = (name: string, ok: (rows: RunRow[]) => boolean, message: string) =>
    waitFor(
      async () => {
        const rows = await runs(name);
        return ok(rows) ? rows : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50, message },
    );

  before(async () => {
    t = await createTestApp([TickHandler, GatedHandler]);
    schedules = t.app.get(JobSchedulesService);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('fires every tick once, on time, with the job options and payload it was given', async () => {
    const created = await schedules.create({
      name: 'every-second',
      type: 'tick',
      intervalMs: 1_000,
      payload: { report: 'daily' },
      queue: 'default',
      priority: 3,
    });
    assert.equal(created.source, 'api');
    assert.ok(created.nextRunAt.getTime() > Date.now() - 50);
    const rows = await runsMatching('every-second', (r) => r.length >= 3, 'three ticks');
    for (let i = 1; i < rows.length; i++) {
      assert.equal(rows[i].occurrence.getTime() - rows[i - 1].occurrence.getTime(), 1_000, 'consecutive ticks');
    }
    const jobs = await pool.query(
      `SELECT j.payload, j.priority, j.queue, j.run_at, r.occurrence FROM "${t.schema}".jobs j
       JOIN "${t.schema}".schedule_runs r ON r.job_id = j.id WHERE r.schedule = 'every-second'`,
    );
    assert.ok(jobs.rows.length >= 3);
    for (const job of jobs.rows) {
      assert.deepEqual(job.payload, { report: 'daily' });
      assert.equal(job.priority, 3);
      assert.equal(job.run_at.getTime(), job.occurrence.getTime(), 'no jitter: the job may run at its tick');
    }
    const all = await pool.query(`SELECT count(*)::int AS n FROM "${t.schema}".jobs WHERE type = 'tick'`);
    const withRun = await pool.query(
      `SELECT count(*)::int AS n FROM "${t.schema}".schedule_runs WHERE schedule = 'every-second' AND job_id IS NOT NULL`,
    );
    assert.equal(all.rows[0].n, withRun.rows[0].n, 'one job per recorded tick, no other');
    await schedules.pause('every-second', { actor: 'ops' });
  });

  it('refuses a bad definition naming the field, and writes nothing', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: 'x', type: 'tick', cron: '61 * * * *' }, 'cron'],
      [{ name: 'x', type: 'tick', cron: '0 3 * * *', timeZone: 'Nowhere/Land' }, 'timeZone'],
      [{ name: 'x', type: 'tick' }, 'cron'],
      [{ name: 'x', type: 'tick', cron: '* * * * *', intervalMs: 5_000 }, 'cron'],
      [{ name: 'x y', type: 'tick', intervalMs: 5_000 }, 'name'],
      [{ name: 'x', type: 'tick', intervalMs: 5_000, missed: 'sometimes' }, 'missed'],
      [{ name: 'x', type: 'tick', intervalMs: 5_000, overlap: 'maybe' }, 'overlap'],
      [{ name: 'x', type: 'tick', intervalMs: 5_000, maxCatchUp: 0 }, 'maxCatchUp'],
      [{ name: 'x', type: 'tick', intervalMs: 5_000, jitterMs: -1 }, 'jitterMs'],
      [{ name: 'x', type: 'tick', intervalMs: 5_000, priority: 40_000 }, 'priority'],
    ];
    for (const [def, field] of bad) {
      await assert.rejects(
        schedules.create(def as never),
        (err: unknown) => err instanceof InvalidJobOptionsError && err.field === field,
        `${JSON.stringify(def)} names ${field}`,
      );
    }
    assert.equal(await schedules.get('x'), null);
    await schedules.create({ name: 'taken', type: 'tick', cron: '0 3 * * *' });
    await assert.rejects(schedules.create({ name: 'taken', type: 'tick', intervalMs: 5_000 }), ScheduleConflictError);
    assert.equal((await schedules.getOrFail('taken')).cron, '0 3 * * *', 'the first definition stays');
  });

  it('pause stops the ticks; resume starts at the next tick without catching up the pause', async () => {
    await schedules.create({ name: 'pausable', type: 'tick', intervalMs: 1_000, missed: 'all' });
    await runsMatching('pausable', (r) => r.length >= 1, 'a first tick');
    const paused = await schedules.pause('pausable', { actor: 'ops' });
    assert.equal(paused.pausedBy, 'ops');
    const atPause = (await runs('pausable')).length;
    const pausedAt = Date.now();
    // Two ticks' worth of time with nothing fired (read back from the database).
    await waitFor(() => Date.now() - pausedAt >= 2_200, { message: 'two ticks of pause' });
    assert.equal((await runs('pausable')).length, atPause, 'no tick while paused');
    const resumed = await schedules.resume('pausable');
    assert.ok(resumed.nextRunAt.getTime() > Date.now() - 1_000);
    const rows = await runsMatching('pausable', (r) => r.length > atPause, 'a tick after resume');
    const after = rows.slice(atPause);
    assert.ok(
      after.every((r) => r.outcome === 'enqueued'),
      'no catch-up for the pause',
    );
    assert.ok(after[0].occurrence.getTime() >= resumed.nextRunAt.getTime());
    await schedules.pause('pausable');
  });

  it('run now enqueues one job outside the cadence, recorded as a manual run', async () => {
    await schedules.create({ name: 'nightly', type: 'tick', cron: '0 3 * * *', timeZone: 'Europe/Paris' });
    const job = await schedules.runNow('nightly', { actor: 'alice' });
    assert.equal(job.type, 'tick');
    const rows = await runs('nightly');
    assert.deepEqual(
      rows.map((r) => [r.outcome, r.job_id]),
      [['manual', job.id]],
    );
    const actor = await pool.query(`SELECT actor FROM "${t.schema}".schedule_runs WHERE job_id = $1`, [job.id]);
    assert.equal(actor.rows[0].actor, 'alice');
    await waitFor(async () => (await schedules.getOrFail('nightly')).lastJobState === 'completed', {
      message: 'the manual job completes',
    });
  });

  it('overlap skip: ticks while the previous job runs enqueue nothing', async () => {
    await schedules.create({ name: 'ov-skip', type: 'gated', intervalMs: 1_000, overlap: 'skip' });
    const first = await runsMatching('ov-skip', (r) => r.some((x) => x.job_id), 'a first job');
    const jobId = first.find((x) => x.job_id)!.job_id!;
    const rows = await runsMatching('ov-skip', (r) => r.filter((x) => x.outcome === 'skipped').length >= 2, 'skips');
    assert.equal(rows.filter((x) => x.job_id !== null).length, 1, 'one job while it runs');
    await schedules.pause('ov-skip');
    gates.get(jobId)?.resolve();
  });

  it('overlap queue: one tick waits and runs when the previous job finishes; the others are skipped', async () => {
    await schedules.create({ name: 'ov-queue', type: 'gated', intervalMs: 1_000, overlap: 'queue' });
    const first = await runsMatching('ov-queue', (r) => r.some((x) => x.job_id), 'a first job');
    const jobId = first.find((x) => x.job_id)!.job_id!;
    await waitFor(() => gates.has(jobId), { message: 'first job running' });
    const waiting = await runsMatching(
      'ov-queue',
      (r) => r.some((x) => x.outcome === 'queued') && r.some((x) => x.outcome === 'skipped'),
      'one queued tick and a skipped one',
    );
    const queued = waiting.find((x) => x.outcome === 'queued')!;
    assert.equal(queued.job_id, null, 'the waiting tick has no job yet');
    gates.get(jobId)!.resolve();
    const released = await runsMatching(
      'ov-queue',
      (r) => r.some((x) => x.outcome === 'queued' && x.job_id !== null),
      'the waiting tick released',
    );
    assert.equal(released.filter((x) => x.outcome === 'queued').length, 1, 'at most one waited');
    await schedules.pause('ov-queue');
    const second = released.find((x) => x.outcome === 'queued')!.job_id!;
    await waitFor(() => gates.has(second), { message: 'the released job runs' });
    gates.get(second)!.resolve();
  });

  it('overlap replace: the running job is canceled (its signal aborts) and the new tick runs', async () => {
    await schedules.create({ name: 'ov-replace', type: 'gated', intervalMs: 1_000, overlap: 'replace' });
    const first = await runsMatching('ov-replace', (r) => r.some((x) => x.job_id), 'a first job');
    const jobId = first.find((x) => x.job_id)!.job_id!;
    await waitFor(() => gates.has(jobId), { message: 'first job running' });
    const rows = await runsMatching('ov-replace', (r) => r.filter((x) => x.job_id).length >= 2, 'a second job');
    await schedules.pause('ov-replace');
    await waitFor(() => aborted.has(jobId), { message: 'the first handler aborted' });
    assert.equal(await stateOf(jobId), 'canceled');
    const events = await pool.query(`SELECT kind, actor FROM "${t.schema}".job_events WHERE job_id = $1`, [jobId]);
    assert.deepEqual(events.rows, [{ kind: 'canceled', actor: 'schedule ov-replace (overlap: replace)' }]);
    for (const r of rows) if (r.job_id && r.job_id !== jobId) gates.get(r.job_id)?.resolve();
  });

  it('overlap replace: the cancel commits with the new tick (a firing that dies between them cancels nothing)', async () => {
    const s = `"${t.schema}"`;
    await schedules.create({ name: 'ov-atomic', type: 'gated', intervalMs: 1_000, overlap: 'replace' });
    const first = await runsMatching('ov-atomic', (r) => r.some((x) => x.job_id), 'a first job');
    const jobId = first.find((x) => x.job_id)!.job_id!;
    await waitFor(() => gates.has(jobId), { message: 'first job running' });
    // Every later firing of this schedule dies after its cancel, when it records the tick (a crash
    // between the two); the sequence counts the deaths, as it is not rolled back with them.
    await pool.query(`CREATE SEQUENCE ${s}.firing_deaths`);
    await pool.query(`CREATE FUNCTION ${s}.die_mid_firing() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.schedule = 'ov-atomic' THEN
          PERFORM nextval('${s}.firing_deaths');
          RAISE EXCEPTION 'the node died mid-firing';
        END IF;
        RETURN NEW;
      END $$`);
    await pool.query(
      `CREATE TRIGGER die_mid_firing BEFORE INSERT ON ${s}.schedule_runs
       FOR EACH ROW EXECUTE FUNCTION ${s}.die_mid_firing()`,
    );
    try {
      await waitFor(
        async () => Number((await pool.query(`SELECT last_value FROM ${s}.firing_deaths`)).rows[0].last_value) >= 2,
        { timeoutMs: 15_000, message: 'two firings that died' },
      );
      assert.equal(await stateOf(jobId), 'running', 'the previous job was not canceled by a firing that rolled back');
      assert.equal(aborted.has(jobId), false, 'its handler was not aborted');
      const events = await pool.query(`SELECT kind FROM ${s}.job_events WHERE job_id = $1`, [jobId]);
      assert.deepEqual(events.rows, []);
    } finally {
      await pool.query(`DROP TRIGGER die_mid_firing ON ${s}.schedule_runs`);
    }
    const rows = await runsMatching('ov-atomic', (r) => r.filter((x) => x.job_id).length >= 2, 'the replacing tick');
    await schedules.pause('ov-atomic');
    await waitFor(() => aborted.has(jobId), { message: 'the first handler aborted once the firing committed' });
    assert.equal(await stateOf(jobId), 'canceled');
    for (const r of rows) if (r.job_id && r.job_id !== jobId) gates.get(r.job_id)?.resolve();
  });

  const stateOf = async (id: string) =>
    (await pool.query(`SELECT state FROM "${t.schema}".jobs WHERE id = $1`, [id])).rows[0].state as string;

  it('across the daylight saving changes of Paris, each local time runs once (read back from the database)', async () => {
    await schedules.create({
      name: 'paris-0230',
      type: 'tick',
      cron: '30 2 * * *',
      timeZone: 'Europe/Paris',
      missed: 'all',
      maxCatchUp: 1_000,
    });
    // As if every node had been down since 27 March 2026: 'all' catches up every day since.
    await pool.query(
      `UPDATE "${t.schema}".schedules SET next_run_at = '2026-03-27T12:00:00Z' WHERE name = 'paris-0230'`,
    );
    t.runner.wakeScheduler();
    const rows = await runsMatching('paris-0230', (r) => r.length > 200, 'the catch-up runs');
    const on = (day: string) => rows.filter((r) => r.occurrence.toISOString().startsWith(day)).map((r) => r.occurrence);
    assert.deepEqual(on('2026-03-28').map(String), [String(new Date('2026-03-28T01:30:00Z'))]);
    assert.deepEqual(on('2026-03-29').map(String), [String(new Date('2026-03-29T01:00:00Z'))], '03:00 CEST');
    assert.deepEqual(on('2026-10-25').map(String), [String(new Date('2026-10-25T00:30:00Z'))], 'the first 02:30');
    assert.deepEqual(on('2026-10-26').map(String), [String(new Date('2026-10-26T01:30:00Z'))]);
    const days = new Set(rows.map((r) => r.occurrence.toISOString().slice(0, 10)));
    assert.equal(days.size, rows.length, 'one run per day');
    await schedules.pause('paris-0230');
  });
});

describe('a node without schedules', () => {
  const pool = assertionPool();
  let t: TestApp;

  before(async () => {
    t = await createTestApp([TickHandler], { pollIntervalMs: 200 });
  });
  after(() => disposeTestApp(t, pool));

  it('asks for due schedules once per poll interval, not in a loop', async () => {
    const storage = t.app.get<JobsStorage>(JOBS_STORAGE);
    assert.equal(await storage.schedules.nextDueMs(), null, 'no schedule: nothing is due');
    let asked = 0;
    const nextDueMs = storage.schedules.nextDueMs.bind(storage.schedules);
    storage.schedules.nextDueMs = () => {
      asked += 1;
      return nextDueMs();
    };
    await sleep(1_000); // a window to count in, not a wait for something to happen
    // 200 ms polls: about 5 in a second (a pass without the poll would ask hundreds of times).
    assert.ok(asked >= 2 && asked <= 8, `asked ${asked} times in a second`);

    await t.app.get(JobSchedulesService).create({ name: 'later', type: 'tick', cron: '0 0 1 1 *' });
    const dueInMs = await nextDueMs();
    assert.ok(dueInMs !== null && dueInMs > 0, `a schedule next year is due in ${dueInMs} ms`);
    await t.app.get(JobSchedulesService).pause('later');
    assert.equal(await nextDueMs(), null, 'a paused schedule is not due');
  });
});
