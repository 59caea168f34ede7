/** Base class of every error the module throws on purpose. */
export class JobsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Thrown by a handler to fail the job at once, skipping the remaining retries. */
export class PermanentJobError extends JobsError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** An option or argument is not valid; `field` names it. */
export class InvalidJobOptionsError extends JobsError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Invalid ${field}: ${reason}`);
  }
}

export class UnknownJobTypeError extends JobsError {
  constructor(readonly type: string) {
    super(`No handler is registered for job type "${type}"`);
  }
}

export class PayloadTooLargeError extends JobsError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`Payload is ${size} bytes; the limit is ${limit} bytes`);
  }
}

export class DuplicateJobHandlerError extends JobsError {
  constructor(type: string, first: string, second: string) {
    super(`Job type "${type}" is handled by both ${first} and ${second}; a type has exactly one handler`);
  }
}

export class InvalidJobHandlerError extends JobsError {}

export class JobNotFoundError extends JobsError {
  constructor(readonly id: string) {
    super(`Job ${id} does not exist`);
  }
}

/** The requested transition is not allowed from the job's current state. */
export class JobStateError extends JobsError {
  constructor(
    readonly id: string,
    readonly state: string,
    action: string,
  ) {
    super(`Job ${id} is ${state}; it cannot be ${action}`);
  }
}

/** The database schema is missing or older than this version of the module expects. */
export class JobsSchemaError extends JobsError {}

/** Used as the abort reason when a job runs past its timeout. */
export class JobTimeoutError extends JobsError {
  constructor(readonly timeoutMs: number) {
    super(`Job timed out after ${timeoutMs} ms`);
  }
}

/** The queue holds `limit` pending + scheduled jobs (`maxPendingJobs`); nothing was written. Try again
 * after about `retryAfterMs`, or enqueue with `{ wait: true }`. */
export class QueueFullError extends JobsError {
  constructor(
    readonly queue: string,
    readonly limit: number,
    readonly retryAfterMs: number,
  ) {
    super(`Queue "${queue}" is full (${limit} pending jobs at most); retry in about ${retryAfterMs} ms`);
  }
}

/** The database could not be reached; nothing was written (or, for a write that was cut off
 * mid-way, it may have been: retry with an idempotency key to be sure of one job). */
export class JobsUnavailableError extends JobsError {
  constructor(
    readonly action: string,
    override readonly cause: Error,
    /** Unreachable, or reachable but out of connections (or another resource) for now. */
    readonly fault: 'unreachable' | 'busy' = 'unreachable',
  ) {
    super(`Cannot ${action}: the database is ${fault === 'busy' ? 'busy' : 'unreachable'} (${cause.message})`);
  }
}

export class ScheduleNotFoundError extends JobsError {
  constructor(readonly schedule: string) {
    super(`Schedule "${schedule}" does not exist`);
  }
}

/** The schedule cannot be created or changed that way: the name is taken, or it is defined in code. */
export class ScheduleConflictError extends JobsError {
  constructor(
    readonly schedule: string,
    reason: string,
  ) {
    super(`Schedule "${schedule}": ${reason}`);
  }
}

/** An admin statement ran past its statement timeout (a request too broad for the table's size). */
export class JobsStatementTimeoutError extends JobsError {
  constructor(
    readonly action: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Cannot ${action}: the database did not answer within ${timeoutMs} ms; narrow the filters (queue, state, type, dates) and try again`,
    );
  }
}

/** The admin API runs as many writes as it may at once and as many wait their turn: nothing was
 * done; try again after about `retryAfterMs` (HTTP 429 with `Retry-After`). */
export class JobsBusyError extends JobsError {
  constructor(readonly retryAfterMs: number) {
    super(`Too many writes at once; nothing was done, retry in about ${retryAfterMs} ms`);
  }
}

/** The queue still holds unfinished jobs: its settings cannot be deleted (HTTP 409). */
export class QueueInUseError extends JobsError {
  constructor(readonly queue: string) {
    super(`Queue "${queue}" holds pending, scheduled or running jobs; its settings stay while it is in use`);
  }
}
