import type { JobState } from './job.interface';

/**
 * What happens to the ticks that came and went while no node could fire them (every node down,
 * the database away). A tick is *missed* when the next tick's time has come too; the newest due
 * tick is *current* (its slot is still open) and always runs, late.
 * - `skip`: missed ticks do not run;
 * - `once`: they run once, together (one catch-up job, for the newest of them);
 * - `all`: each runs, the newest `maxCatchUp` of them.
 * Ticks that do not run are counted (`missedTicks`).
 */
export type MissedTicksPolicy = 'skip' | 'once' | 'all';

/**
 * What a tick does while the schedule's previous job has not finished (pending, scheduled or
 * running):
 * - `allow`: it enqueues its job anyway;
 * - `skip`: it enqueues nothing (recorded as `skipped`);
 * - `queue`: it waits, and its job is enqueued as soon as the previous one finishes; at most one
 *   tick waits, the others are skipped;
 * - `replace`: the previous job is canceled (its handler's signal aborts), then the tick's job is
 *   enqueued.
 */
export type OverlapPolicy = 'allow' | 'skip' | 'queue' | 'replace';

/** A schedule's cadence, job and policies: `cron` (with `timeZone`) or `intervalMs`. */
export interface ScheduleOptions {
  /** 5 fields, or 6 with seconds first, as `@Cron` (and `CronExpression` values) take them. */
  cron?: string;
  /** IANA zone of `cron` (default `UTC`, the same on every node; `@Cron` uses the server's zone). */
  timeZone?: string;
  /** A fixed interval instead of `cron`, 1 s to a year, aligned on the Unix epoch. */
  intervalMs?: number;
  /** Payload of every job (default `{}`). */
  payload?: unknown;
  /** The job's queue (default: its handler's queue, else `default`). */
  queue?: string;
  /** -32768..32767, default 0. */
  priority?: number;
  /** Default: its handler's, else the module's. */
  maxAttempts?: number;
  /** Default `once`. */
  missed?: MissedTicksPolicy;
  /** Most catch-up runs under `missed: 'all'` (1-1000, default 100). */
  maxCatchUp?: number;
  /** Default `allow`. */
  overlap?: OverlapPolicy;
  /** Spreads each tick's job over up to this many milliseconds after the tick (default 0). */
  jitterMs?: number;
}

/** A schedule declared in code: `@JobHandler(type, { schedule })`. Its name defaults to the type. */
export interface JobScheduleDeclaration extends ScheduleOptions {
  name?: string;
}

/** A schedule created at run time (`JobSchedulesService.create`, `POST /api/schedules`). */
export interface ScheduleDefinition extends ScheduleOptions {
  name: string;
  /** The job type each tick enqueues. */
  type: string;
}

/** How one tick (or run now) ended. */
export type ScheduleRunOutcome = 'enqueued' | 'catch_up' | 'manual' | 'skipped' | 'queued';

/** A schedule as stored, with its last run. */
export interface Schedule {
  name: string;
  type: string;
  cron: string | null;
  timeZone: string;
  intervalMs: number | null;
  payload: unknown;
  queue: string;
  priority: number;
  maxAttempts: number;
  missed: MissedTicksPolicy;
  maxCatchUp: number;
  overlap: OverlapPolicy;
  jitterMs: number;
  /** `code`: declared by `@JobHandler`, reconciled at start-up; `api`: created at run time. */
  source: 'code' | 'api';
  /** A code schedule no node declares any more: paused until it is declared again or deleted. */
  removedFromCode: boolean;
  paused: boolean;
  pausedAt: Date | null;
  pausedBy: string | null;
  /** The next tick (before jitter). */
  nextRunAt: Date;
  /** The newest tick that ran (or was skipped or queued), and its job. */
  lastRunAt: Date | null;
  lastOutcome: ScheduleRunOutcome | null;
  lastJobId: string | null;
  lastJobState: JobState | null;
  /** Ticks the missed policy did not run, in total, and the last time that happened. */
  missedTicks: number;
  lastMissedAt: Date | null;
  /** Of the jobs of the last 5 runs, how many failed (dead-lettered). */
  recentFailures: number;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string | null;
}

/** One entry of a schedule's run history, newest first. */
export interface ScheduleRun {
  /** The tick (for a run now: when it was asked for). */
  occurrence: Date;
  outcome: ScheduleRunOutcome;
  /** When its row was written: the job inserted, or the tick skipped or queued. */
  firedAt: Date;
  jobId: string | null;
  jobState: JobState | null;
  jobFinishedAt: Date | null;
  jobError: string | null;
}
