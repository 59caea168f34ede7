import type { PoolClient } from 'pg';
import type { NewJobRow } from '../interfaces';
import type { JobsRepository } from './jobs.repository';
import type { ClaimedScheduleRow } from './schedule-row';
import type { scheduleFireStatements } from './statements/schedule-fire.sql';
import { withValues } from './statements/statement';

/** What the scheduler decided for one claimed schedule. */
export interface ScheduleFiring {
  name: string;
  /** New history rows, oldest tick first; `job` null for a tick that enqueues nothing. */
  runs: Array<{ occurrence: Date; outcome: string; job: NewJobRow | null }>;
  /** A waiting tick (history row written when it was queued) whose job is enqueued now. */
  release: { occurrence: Date; job: NewJobRow } | null;
  nextRunAt: Date;
  queuedOccurrence: Date | null;
  missed: number;
}

/** Decides, for the claimed schedules, what to write; may act meanwhile (cancel a job to replace). */
export type FiringPlanner = (claimed: ClaimedScheduleRow[]) => Promise<ScheduleFiring[]>;

export interface FireResult {
  claimed: number;
  /** Tick-to-write lag (ms) of each tick that ran on time. */
  lagsMs: number[];
  jobs: number;
}

type Statements = ReturnType<typeof scheduleFireStatements>;

/**
 * One firing transaction, on `client` inside BEGIN: claim up to `limit` schedules, let the planner
 * decide, reserve each new tick's history row (a tick that has its row already gets nothing more),
 * insert the jobs through the jobs repository (the same insert as an enqueue), record them and move
 * each schedule to its next tick. Committed by the caller: all of it happens, or none of it.
 */
export async function fireSchedules(
  client: PoolClient,
  sql: Statements,
  jobs: JobsRepository,
  kind: 'due' | 'releasable',
  limit: number,
  plan: FiringPlanner,
): Promise<FireResult> {
  const claim = kind === 'due' ? sql.claimDue : sql.claimReleasable;
  const claimed = (await client.query<ClaimedScheduleRow>(withValues(claim, [limit]))).rows;
  if (claimed.length === 0) return { claimed: 0, lagsMs: [], jobs: 0 };
  const firings = await plan(claimed);

  const fresh = firings.flatMap((f) => f.runs.map((run) => ({ name: f.name, ...run })));
  const reserved = new Set<string>();
  if (fresh.length > 0) {
    const res = await client.query<{ schedule: string; occurrence: Date }>(
      withValues(sql.reserve, [fresh.map((r) => r.name), fresh.map((r) => r.occurrence), fresh.map((r) => r.outcome)]),
    );
    for (const row of res.rows) reserved.add(key(row.schedule, row.occurrence));
  }

  // Jobs in firing order: each schedule's released tick, then its new ticks, oldest first.
  const toInsert: Array<{ name: string; occurrence: Date; outcome: string; job: NewJobRow }> = [];
  for (const f of firings) {
    // A released tick keeps its outcome `queued`: it waited, then got its job.
    if (f.release)
      toInsert.push({ name: f.name, occurrence: f.release.occurrence, outcome: 'queued', job: f.release.job });
    for (const run of f.runs) {
      if (run.job && reserved.has(key(f.name, run.occurrence))) toInsert.push({ name: f.name, ...run, job: run.job });
    }
  }
  const inserted = await jobs.insertMany(
    toInsert.map((t) => t.job),
    client,
  );
  if (inserted.length !== toInsert.length) throw new Error('Schedule jobs: the insert returned fewer jobs than given');

  const lastJob = new Map<string, string>();
  toInsert.forEach((t, i) => lastJob.set(t.name, inserted[i].id));
  const last = firings.map((f) => f.runs.filter((r) => reserved.has(key(f.name, r.occurrence))).pop());
  const res = await client.query<{ outcome: string; lag_ms: number }>(
    withValues(sql.finish, [
      toInsert.map((t) => t.name),
      toInsert.map((t) => t.occurrence),
      inserted.map((j) => j.id),
      toInsert.map((t) => t.outcome),
      firings.map((f) => f.name),
      firings.map((f) => f.nextRunAt),
      firings.map((f) => f.queuedOccurrence),
      last.map((r, i) => r?.occurrence ?? firings[i].release?.occurrence ?? null),
      last.map((r, i) => r?.outcome ?? (firings[i].release ? 'queued' : null)),
      firings.map((f) => lastJob.get(f.name) ?? null),
      firings.map((f) => f.missed),
    ]),
  );
  const lagsMs = res.rows.filter((r) => r.outcome === 'enqueued').map((r) => r.lag_ms);
  return { claimed: claimed.length, lagsMs, jobs: inserted.length };
}

function key(name: string, occurrence: Date): string {
  return `${name}\u0000${occurrence.getTime()}`;
}
