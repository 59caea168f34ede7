import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidJobOptionsError } from 'nest-pg-jobs';
import { Cadence, planTicks, type DueSchedule } from './support/internals';

// The rules of recurring jobs without I/O: ticks of a cadence (cron through the `cron` package,
// daylight saving time in a zone that changes), and what a claim of a due schedule fires.

const iso = (d: Date) => d.toISOString();

/** The first `n` ticks after `from`. */
function ticks(cadence: Cadence, from: string, n: number): string[] {
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < n; i++) {
    at = cadence.next(at);
    out.push(iso(at));
  }
  return out;
}

describe('schedule cadence', () => {
  it('reads cron expressions as @Cron does: 5 fields, 6 with seconds, CronExpression values, aliases', () => {
    const daily = Cadence.of({ cron: '0 3 * * *', timeZone: 'UTC' });
    assert.deepEqual(ticks(daily, '2026-01-01T12:00:00Z', 2), ['2026-01-02T03:00:00.000Z', '2026-01-03T03:00:00.000Z']);
    const everySecond = Cadence.of({ cron: '* * * * * *', timeZone: 'UTC' });
    assert.deepEqual(ticks(everySecond, '2026-01-01T00:00:00.400Z', 2), [
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
    // CronExpression.EVERY_30_SECONDS of @nestjs/schedule is the plain string '*/30 * * * * *'.
    assert.deepEqual(ticks(Cadence.of({ cron: '*/30 * * * * *', timeZone: 'UTC' }), '2026-01-01T00:00:10Z', 2), [
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:01:00.000Z',
    ]);
    assert.deepEqual(ticks(Cadence.of({ cron: '@daily', timeZone: 'UTC' }), '2026-01-01T12:00:00Z', 1), [
      '2026-01-02T00:00:00.000Z',
    ]);
  });

  it('refuses what cannot be a cadence, naming the field', () => {
    const field = (spec: Parameters<typeof Cadence.of>[0]) => {
      try {
        Cadence.of(spec);
      } catch (err) {
        assert.ok(err instanceof InvalidJobOptionsError, String(err));
        return err.field;
      }
      return 'accepted';
    };
    assert.equal(field({ cron: '61 * * * *', timeZone: 'UTC' }), 'cron');
    assert.equal(field({ cron: '* * *', timeZone: 'UTC' }), 'cron');
    assert.equal(field({ cron: '* * * * * * *', timeZone: 'UTC' }), 'cron');
    assert.equal(field({ cron: '0 0 30 2 *', timeZone: 'UTC' }), 'cron'); // 30 February never comes
    // Days no month named has: refused from the parsed fields, before any search for a tick.
    assert.equal(field({ cron: '0 0 31 2,4,6,9,11 *', timeZone: 'UTC' }), 'cron');
    assert.equal(field({ cron: '* * * 30,31 2 *', timeZone: 'Europe/Paris' }), 'cron');
    // ...while days some month has, or a weekday (which matches in OR with the day), are accepted.
    assert.equal(field({ cron: '0 0 29 2 *', timeZone: 'UTC' }), 'accepted');
    assert.equal(field({ cron: '0 0 31 2,3 *', timeZone: 'UTC' }), 'accepted');
    assert.equal(field({ cron: '0 0 31 2 1', timeZone: 'UTC' }), 'accepted');
    assert.equal(field({ cron: '0 3 * * *', timeZone: 'Mars/Olympus' }), 'timeZone');
    assert.equal(field({ intervalMs: 999 }), 'intervalMs');
    assert.equal(field({ intervalMs: 1.5e3 + 0.5 }), 'intervalMs');
  });

  it('fixed intervals are aligned on the epoch, the same on every node', () => {
    const every5s = Cadence.of({ intervalMs: 5_000 });
    assert.deepEqual(ticks(every5s, '2026-01-01T00:00:03.123Z', 3), [
      '2026-01-01T00:00:05.000Z',
      '2026-01-01T00:00:10.000Z',
      '2026-01-01T00:00:15.000Z',
    ]);
  });

  it('spring forward in Paris (2026-03-29, 02:00 -> 03:00): a local time that does not exist runs at 03:00', () => {
    const at0230 = Cadence.of({ cron: '30 2 * * *', timeZone: 'Europe/Paris' });
    assert.deepEqual(ticks(at0230, '2026-03-27T12:00:00Z', 3), [
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    const hourly = Cadence.of({ cron: '0 * * * *', timeZone: 'Europe/Paris' });
    assert.deepEqual(ticks(hourly, '2026-03-28T23:30:00Z', 3), [
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST (02:00 does not exist; one run, not two)
      '2026-03-29T02:00:00.000Z', // 04:00 CEST
    ]);
  });

  it('fall back in Paris (2026-10-25, 03:00 -> 02:00): a local time that happens twice runs once', () => {
    const at0230 = Cadence.of({ cron: '30 2 * * *', timeZone: 'Europe/Paris' });
    assert.deepEqual(ticks(at0230, '2026-10-23T12:00:00Z', 3), [
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // the first 02:30 (CEST) only
      '2026-10-26T01:30:00.000Z',
    ]);
    const hourly = Cadence.of({ cron: '0 * * * *', timeZone: 'Europe/Paris' });
    assert.deepEqual(ticks(hourly, '2026-10-24T23:30:00Z', 3), [
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T02:00:00.000Z', // 03:00 CET: the second 02:00 (CET) is passed over
      '2026-10-25T03:00:00.000Z',
    ]);
    // Every second: the repeated hour is passed over in one search, not 3,600 (issue 22).
    const everySecond = Cadence.of({ cron: '* * * * * *', timeZone: 'Europe/Paris' });
    assert.deepEqual(ticks(everySecond, '2026-10-25T00:59:58Z', 3), [
      '2026-10-25T00:59:59.000Z', // 02:59:59 CEST
      '2026-10-25T02:00:00.000Z', // 03:00:00 CET, an hour later
      '2026-10-25T02:00:01.000Z',
    ]);
    const quarterly = Cadence.of({ cron: '*/15 * * * *', timeZone: 'Europe/Paris' });
    assert.deepEqual(ticks(quarterly, '2026-10-25T00:40:00Z', 3), [
      '2026-10-25T00:45:00.000Z', // 02:45 CEST
      '2026-10-25T02:00:00.000Z', // 03:00 CET: 02:00-02:45 CET repeat times that already ran
      '2026-10-25T02:15:00.000Z',
    ]);
  });

  it('fall back by half an hour (Lord Howe, 2026-04-05 02:00 -> 01:30): never a tick before the last one', () => {
    const quarterly = Cadence.of({ cron: '*/15 * * * *', timeZone: 'Australia/Lord_Howe' });
    assert.deepEqual(ticks(quarterly, '2026-04-04T14:40:00Z', 3), [
      '2026-04-04T14:45:00.000Z', // 01:45 +11:00
      '2026-04-04T15:30:00.000Z', // 02:00 +10:30: 01:30-01:45 repeat times that already ran
      '2026-04-04T15:45:00.000Z',
    ]);
  });
});

function due(overrides: Partial<DueSchedule>): DueSchedule {
  return {
    cadence: Cadence.of({ intervalMs: 1_000 }),
    nextRunAt: new Date('2026-01-01T00:00:01Z'),
    missed: 'once',
    maxCatchUp: 100,
    overlap: 'allow',
    jitterMs: 0,
    previousBusy: false,
    queuedOccurrence: null,
    ...overrides,
  };
}

describe('schedule tick plan', () => {
  const now = new Date('2026-01-01T00:00:10.300Z'); // ticks 1..10 are due: 10 is current, 1..9 missed
  const summary = (p: ReturnType<typeof planTicks>) =>
    p.runs.map((r) => `${r.occurrence.getUTCSeconds()}:${r.outcome}`);

  it('an on-time tick runs, and the next tick is the first after now', () => {
    const plan = planTicks(due({ nextRunAt: new Date('2026-01-01T00:00:10Z') }), now);
    assert.deepEqual(summary(plan), ['10:enqueued']);
    assert.equal(iso(plan.nextRunAt), '2026-01-01T00:00:11.000Z');
    assert.equal(plan.missed, 0);
  });

  it('missed ticks: skip runs none, once runs one, all runs the newest maxCatchUp', () => {
    const skip = planTicks(due({ missed: 'skip' }), now);
    assert.deepEqual(summary(skip), ['10:enqueued']);
    assert.equal(skip.missed, 9);
    const once = planTicks(due({ missed: 'once' }), now);
    assert.deepEqual(summary(once), ['9:catch_up', '10:enqueued']);
    assert.equal(once.missed, 8);
    const all = planTicks(due({ missed: 'all', maxCatchUp: 3 }), now);
    assert.deepEqual(summary(all), ['7:catch_up', '8:catch_up', '9:catch_up', '10:enqueued']);
    assert.equal(all.missed, 6);
    for (const p of [skip, once, all]) assert.equal(iso(p.nextRunAt), '2026-01-01T00:00:11.000Z');
  });

  it('a very long outage is walked to its newest ticks without visiting all of them', () => {
    const started = Date.now();
    const plan = planTicks(due({ missed: 'all', maxCatchUp: 2, nextRunAt: new Date('2025-01-01T00:00:00Z') }), now);
    assert.deepEqual(summary(plan), ['8:catch_up', '9:catch_up', '10:enqueued']);
    assert.ok(plan.missed >= 10_000, `missed counted at least to the walk's bound, got ${plan.missed}`);
    assert.ok(Date.now() - started < 2_000, 'planned quickly');
  });

  it('overlap while the previous job is unfinished: allow, skip, queue (one waits), replace', () => {
    const busy = { previousBusy: true, missed: 'all' as const, maxCatchUp: 2 };
    assert.deepEqual(summary(planTicks(due({ ...busy, overlap: 'allow' }), now)), [
      '8:catch_up',
      '9:catch_up',
      '10:enqueued',
    ]);
    assert.deepEqual(summary(planTicks(due({ ...busy, overlap: 'skip' }), now)), [
      '8:skipped',
      '9:skipped',
      '10:skipped',
    ]);
    const queued = planTicks(due({ ...busy, overlap: 'queue' }), now);
    assert.deepEqual(summary(queued), ['8:queued', '9:skipped', '10:skipped']);
    assert.equal(queued.queuedOccurrence?.getUTCSeconds(), 8);
    const replace = planTicks(due({ ...busy, overlap: 'replace' }), now);
    assert.deepEqual(summary(replace), ['8:skipped', '9:skipped', '10:enqueued']);
    assert.equal(replace.cancelPrevious, true);
    // Not busy: the first tick runs and the others of the same claim follow the policy.
    assert.deepEqual(summary(planTicks(due({ missed: 'all', maxCatchUp: 2, overlap: 'skip' }), now)), [
      '8:catch_up',
      '9:skipped',
      '10:skipped',
    ]);
  });

  it('a waiting tick is released once the previous job finished', () => {
    const waiting = new Date('2026-01-01T00:00:05Z');
    const plan = planTicks(
      due({ overlap: 'queue', queuedOccurrence: waiting, nextRunAt: new Date('2026-01-01T00:00:11Z') }),
      now,
    );
    assert.equal(plan.release?.occurrence.getTime(), waiting.getTime());
    assert.deepEqual(plan.runs, []);
    assert.equal(plan.queuedOccurrence, null);
  });

  it('jitter spreads a job over up to jitterMs after its tick', () => {
    const at = (r: number) =>
      planTicks(due({ jitterMs: 30_000, nextRunAt: new Date('2026-01-01T00:00:10Z') }), now, () => r).runs[0].runAt;
    assert.equal(iso(at(0)!), '2026-01-01T00:00:10.000Z');
    assert.equal(iso(at(0.5)!), '2026-01-01T00:00:25.000Z');
    assert.ok(at(0.999999)!.getTime() <= new Date('2026-01-01T00:00:40Z').getTime());
  });
});
