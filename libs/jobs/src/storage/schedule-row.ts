import type {
  JobState,
  MissedTicksPolicy,
  OverlapPolicy,
  Schedule,
  ScheduleRun,
  ScheduleRunOutcome,
} from '../interfaces';

/** Columns of a schedule read whole, with its last job's state and recent failures (alias `s`). */
export function scheduleColumns(jobs: string, runs: string): string {
  return `s.name, s.type, s.cron, s.time_zone, s.interval_ms, s.payload, s.queue, s.priority, s.max_attempts, s.missed,
    s.max_catch_up, s.overlap, s.jitter_ms, s.source, s.removed_from_code, s.paused, s.paused_at, s.paused_by,
    s.next_run_at, s.last_run_at, s.last_outcome, s.last_job_id, s.missed_ticks, s.last_missed_at, s.created_at,
    s.updated_at, s.updated_by,
    (SELECT j.state FROM ${jobs} j WHERE j.id = s.last_job_id) AS last_job_state,
    (SELECT count(*)::int FROM (
       SELECT r.job_id FROM ${runs} r WHERE r.schedule = s.name AND r.job_id IS NOT NULL
       ORDER BY r.occurrence DESC LIMIT 5
     ) recent JOIN ${jobs} j ON j.id = recent.job_id WHERE j.state = 'failed') AS recent_failures`;
}

export interface ScheduleRow {
  name: string;
  type: string;
  cron: string | null;
  time_zone: string;
  interval_ms: string | null;
  payload: unknown;
  queue: string;
  priority: number;
  max_attempts: number;
  missed: MissedTicksPolicy;
  max_catch_up: number;
  overlap: OverlapPolicy;
  jitter_ms: number;
  source: 'code' | 'api';
  removed_from_code: boolean;
  paused: boolean;
  paused_at: Date | null;
  paused_by: string | null;
  next_run_at: Date;
  last_run_at: Date | null;
  last_outcome: ScheduleRunOutcome | null;
  last_job_id: string | null;
  missed_ticks: string;
  last_missed_at: Date | null;
  created_at: Date;
  updated_at: Date;
  updated_by: string | null;
  last_job_state: JobState | null;
  recent_failures: number;
}

export function toSchedule(row: ScheduleRow): Schedule {
  return {
    name: row.name,
    type: row.type,
    cron: row.cron,
    timeZone: row.time_zone,
    intervalMs: row.interval_ms === null ? null : Number(row.interval_ms),
    payload: row.payload,
    queue: row.queue,
    priority: row.priority,
    maxAttempts: row.max_attempts,
    missed: row.missed,
    maxCatchUp: row.max_catch_up,
    overlap: row.overlap,
    jitterMs: row.jitter_ms,
    source: row.source,
    removedFromCode: row.removed_from_code,
    paused: row.paused,
    pausedAt: row.paused_at,
    pausedBy: row.paused_by,
    nextRunAt: row.next_run_at,
    lastRunAt: row.last_run_at,
    lastOutcome: row.last_outcome,
    lastJobId: row.last_job_id,
    lastJobState: row.last_job_state,
    missedTicks: Number(row.missed_ticks),
    lastMissedAt: row.last_missed_at,
    recentFailures: row.recent_failures,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

export interface ScheduleRunRow {
  occurrence: Date;
  outcome: ScheduleRunOutcome;
  fired_at: Date;
  job_id: string | null;
  job_state: JobState | null;
  job_finished_at: Date | null;
  job_error: string | null;
}

export function toScheduleRun(row: ScheduleRunRow): ScheduleRun {
  return {
    occurrence: row.occurrence,
    outcome: row.outcome,
    firedAt: row.fired_at,
    jobId: row.job_id,
    jobState: row.job_state,
    jobFinishedAt: row.job_finished_at,
    jobError: row.job_error,
  };
}

/** A schedule claimed by the scheduler: what it needs to fire its ticks. */
export interface ClaimedScheduleRow {
  name: string;
  type: string;
  cron: string | null;
  time_zone: string;
  interval_ms: string | null;
  payload_json: string;
  queue: string;
  priority: number;
  max_attempts: number;
  missed: MissedTicksPolicy;
  max_catch_up: number;
  overlap: OverlapPolicy;
  jitter_ms: number;
  next_run_at: Date;
  queued_occurrence: Date | null;
  last_job_id: string | null;
  previous_busy: boolean;
  /** Its `next_run_at` tick has a history row already (it will get no job). */
  next_recorded: boolean;
  /** The database's time at the claim: the "now" every due tick is measured against. */
  db_now: Date;
}
