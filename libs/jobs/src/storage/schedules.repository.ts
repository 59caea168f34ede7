import type { NewJobRow, NewScheduleRow, Schedule, ScheduleRun } from '../interfaces';
import type { Database } from './database';
import type { JobsRepository } from './jobs.repository';
import { fireSchedules, type FireResult, type FiringPlanner } from './schedule-fire';
import { toSchedule, toScheduleRun, type ScheduleRow, type ScheduleRunRow } from './schedule-row';
import { scheduleFireStatements } from './statements/schedule-fire.sql';
import { scheduleStatements } from './statements/schedules.sql';
import { withValues } from './statements/statement';

/**
 * Recurring jobs (`<schema>.schedules`, `<schema>.schedule_runs`): the scheduler's claim-and-fire
 * transaction, and what the schedules service does (define, pause, run now, reconcile the code's).
 * A tick's job goes in through `JobsRepository.insertMany`, in the firing transaction.
 */
export class SchedulesRepository {
  private readonly fire;
  private readonly sql;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobsRepository,
  ) {
    this.fire = scheduleFireStatements(db.names);
    this.sql = scheduleStatements(db.names);
  }

  /** Claims up to `limit` due (or, `releasable`, waiting) schedules and fires them, in one
   * transaction: every tick's job and history row commit together with the schedule's next tick. */
  fireDue(kind: 'due' | 'releasable', limit: number, plan: FiringPlanner): Promise<FireResult> {
    return this.db.transaction((client) => fireSchedules(client, this.fire, this.jobs, kind, limit, plan));
  }

  /** Milliseconds until the earliest tick (0 when one is due), or null without active schedules. */
  async nextDueMs(): Promise<number | null> {
    const res = await this.db.query<{ ms: number | null }>(this.fire.nextDue);
    return res.rows[0]?.ms ?? null;
  }

  /** Keeps the newest `keep` history rows of every schedule, 100 schedules a statement; returns
   * how many rows went. */
  async pruneRuns(keep: number): Promise<number> {
    let total = 0;
    for (let after = ''; ;) {
      const res = await this.db.query<{ last: string | null; deleted: number }>(
        withValues(this.fire.prune, [after, keep - 1, 100]),
      );
      total += res.rows[0].deleted;
      if (res.rows[0].last === null) return total;
      after = res.rows[0].last;
    }
  }

  /** Schedules by name, after `after` ('' from the first), at most `limit` (null: all). */
  async list(after: string, limit: number | null): Promise<Schedule[]> {
    return (await this.db.query<ScheduleRow>(withValues(this.sql.list, [after, limit]))).rows.map(toSchedule);
  }

  async count(): Promise<number> {
    return (await this.db.query<{ n: number }>(this.sql.count)).rows[0].n;
  }

  async get(name: string): Promise<Schedule | null> {
    const res = await this.db.query<ScheduleRow>(withValues(this.sql.get, [name]));
    return res.rows.length === 0 ? null : toSchedule(res.rows[0]);
  }

  /** Where the schedule comes from, or null when there is none. */
  async origin(name: string): Promise<{ source: 'code' | 'api'; removedFromCode: boolean } | null> {
    const res = await this.db.query<{ source: 'code' | 'api'; removed_from_code: boolean }>(
      withValues(this.sql.origin, [name]),
    );
    const row = res.rows[0];
    return row ? { source: row.source, removedFromCode: row.removed_from_code } : null;
  }

  /** Adds a run-time schedule; false when the name is taken. */
  async create(row: NewScheduleRow, actor: string | null): Promise<boolean> {
    const res = await this.db.query(withValues(this.sql.create, [...definition(row), row.nextRunAt, actor]));
    return (res.rowCount ?? 0) > 0;
  }

  /** Replaces a schedule's definition; its next tick moves only when the cadence changed. */
  async update(row: NewScheduleRow, actor: string | null): Promise<boolean> {
    const res = await this.db.query(withValues(this.sql.update, [...definition(row), row.nextRunAt, actor]));
    return (res.rowCount ?? 0) > 0;
  }

  async remove(name: string): Promise<boolean> {
    return ((await this.db.query(withValues(this.sql.remove, [name]))).rowCount ?? 0) > 0;
  }

  async pause(name: string, actor: string | null): Promise<boolean> {
    return ((await this.db.query(withValues(this.sql.pause, [name, actor]))).rowCount ?? 0) > 0;
  }

  /** Resumes; a paused schedule starts again at its first tick after now. */
  async resume(name: string, nextRunAt: Date): Promise<boolean> {
    return ((await this.db.query(withValues(this.sql.resume, [name, nextRunAt]))).rowCount ?? 0) > 0;
  }

  /** Run now: the job and its history row (`manual`), in one transaction; null without the schedule. */
  async runNow(name: string, job: NewJobRow, actor: string | null): Promise<string | null> {
    return this.db.transaction(async (client) => {
      const locked = await client.query(withValues(this.sql.lock, [name]));
      if (locked.rows.length === 0) return null;
      const [inserted] = await this.jobs.insertMany([job], client);
      if (!inserted) throw new Error('Run now: the insert returned no job');
      await client.query(withValues(this.sql.recordManual, [name, inserted.id, actor]));
      return inserted.id;
    });
  }

  /** Run history, newest first. */
  async runs(name: string, limit: number, before: Date | null): Promise<ScheduleRun[]> {
    const res = await this.db.query<ScheduleRunRow>(withValues(this.sql.runs, [name, limit, before]));
    return res.rows.map(toScheduleRun);
  }

  /**
   * Start-up: writes the code's schedules (`rows`) where they are new or changed, and marks as
   * removed the code schedules of `handledTypes` that `rows` no longer declares. One transaction.
   */
  async reconcile(
    rows: NewScheduleRow[],
    handledTypes: string[],
    actor: string,
  ): Promise<{ written: Array<{ name: string; inserted: boolean }>; removed: string[] }> {
    return this.db.transaction(async (client) => {
      const cols = rows.map(definition);
      const res = await client.query<{ name: string; inserted: boolean }>(
        withValues(this.sql.reconcile, [
          ...Array.from({ length: 13 }, (_, i) => cols.map((c) => c[i])),
          rows.map((r) => r.nextRunAt),
          actor,
        ]),
      );
      const removed = await client.query<{ name: string }>(
        withValues(this.sql.markRemoved, [handledTypes, rows.map((r) => r.name), actor]),
      );
      return { written: res.rows, removed: removed.rows.map((r) => r.name) };
    });
  }
}

/** `$1`-`$13` of `create`, `update` and (as arrays) `reconcile`. */
function definition(row: NewScheduleRow): unknown[] {
  return [
    row.name,
    row.type,
    row.cron,
    row.timeZone,
    row.intervalMs,
    row.payloadJson,
    row.queue,
    row.priority,
    row.maxAttempts,
    row.missed,
    row.maxCatchUp,
    row.overlap,
    row.jitterMs,
  ];
}
