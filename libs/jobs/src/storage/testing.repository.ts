import type { Job, JobState, JobWithAttempts } from '../interfaces';
import type { Database } from './database';
import { toAttempt, toJob, type AttemptRow, type JobRow } from './job-row';
import { withValues } from './statements/statement';
import { testingStatements } from './statements/testing.sql';

/** Which jobs a test helper looks at: all, or those of some types and/or one queue. */
export interface JobMatch {
  types?: string[];
  queue?: string;
}

/**
 * Reads and nudges jobs for the testing helpers: what was enqueued, what is still unfinished, and
 * scheduled jobs made due at once. Tests only; the engine never calls it.
 */
export class TestingRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = testingStatements(db.names);
  }

  async list(match: JobMatch, states?: JobState[]): Promise<Job[]> {
    const res = await this.db.query<JobRow>(withValues(this.sql.list, [...params(match), states ?? null]));
    return res.rows.map((row) => toJob(row));
  }

  /** Unfinished matching jobs by state (`pending`, `scheduled`, `running`). */
  async unfinished(match: JobMatch): Promise<Partial<Record<JobState, number>>> {
    const res = await this.db.query<{ state: JobState; n: number }>(withValues(this.sql.unfinished, params(match)));
    return Object.fromEntries(res.rows.map((r) => [r.state, r.n]));
  }

  /** Makes matching scheduled jobs due now; returns the queues that got ready jobs. */
  async runScheduledNow(match: JobMatch): Promise<string[]> {
    const res = await this.db.query<{ queue: string }>(withValues(this.sql.runScheduledNow, params(match)));
    return [...new Set(res.rows.map((r) => r.queue))];
  }

  /** The matching jobs, oldest first, with their attempt history. */
  async withAttempts(match: JobMatch): Promise<JobWithAttempts[]> {
    const jobs = await this.db.query<JobRow>(withValues(this.sql.list, [...params(match), null]));
    if (jobs.rows.length === 0) return [];
    const ids = jobs.rows.map((r) => r.id);
    const attempts = await this.db.query<AttemptRow & { job_id: string }>(withValues(this.sql.attempts, [ids]));
    return jobs.rows.map((row) => ({
      ...toJob(row),
      attemptHistory: attempts.rows.filter((a) => a.job_id === row.id).map(toAttempt),
    }));
  }

  /** Deletes every job of the schema, with its history. */
  async clear(): Promise<void> {
    await this.db.query(this.sql.clear);
  }
}

function params(match: JobMatch): [string[] | null, string | null] {
  return [match.types && match.types.length > 0 ? match.types : null, match.queue ?? null];
}
