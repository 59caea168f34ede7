import type { Job, JobAttempt, JobState, AttemptOutcome } from '../interfaces';

/** Columns selected wherever a whole job is read back. */
export const JOB_COLUMNS =
  'id, queue, type, payload, state, priority, attempts, max_attempts, run_at, created_at, updated_at, ' +
  'started_at, finished_at, locked_by, locked_until, last_error, replays, idempotency_key';

export interface JobRow {
  id: string;
  queue: string;
  type: string;
  payload: unknown;
  state: JobState;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  replays: number;
  idempotency_key?: string | null;
  idempotency_active?: boolean;
}

export function toJob<T = unknown>(row: JobRow): Job<T> {
  return {
    id: row.id,
    queue: row.queue,
    type: row.type,
    payload: row.payload as T,
    state: row.state,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    replays: row.replays,
    idempotencyKey: row.idempotency_key ?? null,
  };
}

export interface AttemptRow {
  attempt: number;
  replay: number;
  outcome: AttemptOutcome;
  node_id: string | null;
  started_at: Date | null;
  finished_at: Date;
  error: string;
  stack: string | null;
}

export function toAttempt(row: AttemptRow): JobAttempt {
  return {
    attempt: row.attempt,
    replay: row.replay,
    outcome: row.outcome,
    nodeId: row.node_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    stack: row.stack,
  };
}
