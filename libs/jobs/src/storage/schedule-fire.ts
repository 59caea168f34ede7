import type { PoolClient } from 'pg';
import { JobNotFoundError, JobStateError } from '../errors';
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
  /** `overlap: 'replace'`: the previous job, canceled in this transaction (if it has not finished). */
  replaces: string | null;
}

/** Decides, for the claimed schedules, what to write. Writes nothing itself. */
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
 * decide, cancel the jobs that `overlap: 'replace'` replaces, leave out any tick that has its history
 * row already, insert the jobs through the jobs repository (the same insert as an enqueue), then
 * record the ticks and move each schedule to its next tick. Committed by the caller: all of it
 * happens, or none of it.
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
  for (const f of firings) if (f.replaces !== null) await cancelReplaced(client, jobs, f.replaces, f.name);

  // Ticks recorded already (never, while the row locks hold; a cadence moved onto an old tick at
  // worst): they are left out, so no tick gets a second job.
  const planned = firings.flatMap((f) => f.runs.map((run) => ({ name: f.name, ...run })));
  const done = new Set<string>();
  const next = new Map(claimed.map((c) => [key(c.name, c.next_run_at), c.next_recorded]));
  for (const r of planned) if (next.get(key(r.name, r.occurrence))) done.add(key(r.name, r.occurrence));
  const others = planned.filter((r) => !next.has(key(r.name, r.occurrence)));
  if (others.length > 0) {
    const res = await client.query<{ schedule: string; occurrence: Date }>(
      withValues(sql.fired, [others.map((r) => r.name), others.map((r) => r.occurrence)]),
    );
    for (const row of res.rows) done.add(key(row.schedule, row.occurrence));
  }
  const fresh = planned.filter((r) => !done.has(key(r.name, r.occurrence)));
  const releases = firings.filter((f) => f.release !== null);

  // Jobs in firing order: the released ticks, then the new ones.
  const withJobs = [
    ...releases.map((f) => ({ name: f.name, job: f.release!.job })),
    ...fresh.filter((r) => r.job !== null).map((r) => ({ name: r.name, job: r.job! })),
  ];
  const inserted = await jobs.insertMany(
    withJobs.map((w) => w.job),
    client,
  );
  // Jobs without an idempotency key are never skipped: one per row, in row order.
  const ids = inserted.map((j) => {
    if (!j) throw new Error('Schedule jobs: the insert skipped a job');
    return j.id;
  });
  if (ids.length !== withJobs.length) throw new Error('Schedule jobs: the insert returned fewer jobs than given');
  const lastJob = new Map<string, string>();
  withJobs.forEach((w, i) => lastJob.set(w.name, ids[i]));
  const freshIds: Array<string | null> = [];
  let at = releases.length;
  for (const r of fresh) freshIds.push(r.job === null ? null : ids[at++]);

  const lastOf = (f: ScheduleFiring) => fresh.filter((r) => r.name === f.name).pop();
  const last = firings.map(lastOf);
  const res = await client.query<{ outcome: string; lag_ms: number }>(
    withValues(sql.finish, [
      fresh.map((r) => r.name),
      fresh.map((r) => r.occurrence),
      fresh.map((r) => r.outcome),
      freshIds,
      releases.map((f) => f.name),
      releases.map((f) => f.release!.occurrence),
      ids.slice(0, releases.length),
      firings.map((f) => f.name),
      firings.map((f) => f.nextRunAt),
      firings.map((f) => f.queuedOccurrence),
      last.map((r, i) => r?.occurrence ?? firings[i].release?.occurrence ?? null),
      // A released tick keeps its outcome `queued`: it waited, then got its job.
      last.map((r, i) => r?.outcome ?? (firings[i].release ? 'queued' : null)),
      firings.map((f) => lastJob.get(f.name) ?? null),
      firings.map((f) => f.missed),
    ]),
  );
  if (res.rows.length !== fresh.length) throw new Error('Schedule ticks: a tick was recorded meanwhile; rolled back');
  const lagsMs = res.rows.filter((r) => r.outcome === 'enqueued').map((r) => r.lag_ms);
  return { claimed: claimed.length, lagsMs, jobs: inserted.length };
}

/** Cancels the job a new tick replaces, the same cancel as an operator's; one that finished
 * meanwhile (or was deleted) is left alone. */
async function cancelReplaced(client: PoolClient, jobs: JobsRepository, id: string, schedule: string): Promise<void> {
  try {
    await jobs.cancelWithin(client, id, `schedule ${schedule} (overlap: replace)`);
  } catch (err) {
    if (err instanceof JobStateError || err instanceof JobNotFoundError) return;
    throw err;
  }
}

function key(name: string, occurrence: Date): string {
  return `${name}\u0000${occurrence.getTime()}`;
}
