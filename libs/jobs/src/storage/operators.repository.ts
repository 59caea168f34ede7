import { JobNotFoundError, JobStateError } from '../errors';
import type { DeadLetterGroup, Job, JobState } from '../interfaces';
import type { AuditEntry } from '../interfaces/admin-views.interface';
import { TERMINAL_STATES } from '../jobs.constants';
import type { Database, Queryable } from './database';
import { toJob, type JobRow } from './job-row';
import { operatorStatements } from './statements/operators.sql';
import { queueStatements } from './statements/queues.sql';
import { INDEX_RANGES_ONLY, withValues } from './statements/statement';

/** Rows one `clean` statement deletes at most. */
export const CLEAN_BATCH_SIZE = 1_000;

/** One row of the audit log (operator actions whose subject may be gone). */
/** An audit log row is the audit entry the API answers. */
export type AuditRow = AuditEntry;

interface GroupRow {
  queue: string;
  type: string;
  error: string;
  count: number;
  first_failed_at: Date;
  last_failed_at: Date;
  sample_id: string;
  scanned: number;
  oldest: string;
}

const FINISHED: readonly JobState[] = TERMINAL_STATES;

/**
 * The operators' actions beyond replay and cancel (dead letters grouped, run now, delete, clean,
 * queue concurrency, the audit log). Every statement runs under the admin statement timeout.
 */
export class OperatorsRepository {
  private readonly sql;
  private readonly queues;

  constructor(private readonly db: Database) {
    this.sql = operatorStatements(db.names);
    this.queues = queueStatements(db.names);
  }

  /** Failed jobs grouped by queue, type and error signature, over the newest `scan` of them. */
  async deadLetterGroups(
    filter: { queue?: string; type?: string },
    scan: number,
    limit: number,
  ): Promise<{ groups: DeadLetterGroup[]; scanned: number; estimated: boolean }> {
    const queue = filter.queue ?? null;
    const type = filter.type ?? null;
    return this.db.timed('group dead letters', async (on) => {
      await on.query(INDEX_RANGES_ONLY); // the failed jobs from their index, newest first
      const rows = (await on.query<GroupRow>(withValues(this.sql.deadLetterGroups, [queue, type, scan, limit]))).rows;
      const scanned = rows[0]?.scanned ?? 0;
      let estimated = false;
      if (scanned >= scan) {
        const more = await on.query<{ more: boolean }>(withValues(this.sql.olderFailed, [rows[0].oldest, queue, type]));
        estimated = more.rows[0].more;
      }
      const groups = rows.map((r) => ({
        queue: r.queue,
        type: r.type,
        error: r.error,
        count: r.count,
        firstFailedAt: r.first_failed_at,
        lastFailedAt: r.last_failed_at,
        sampleId: r.sample_id,
      }));
      return { groups, scanned, estimated };
    });
  }

  /** How PostgreSQL runs the groups' statement (`EXPLAIN (ANALYZE, BUFFERS)`, as text), and the
   * clean's (analyzed in a transaction that is rolled back: nothing is deleted). For plan tests. */
  async explain(which: 'deadLetterGroups' | 'clean', values: unknown[]): Promise<string> {
    const statement = which === 'clean' ? this.sql.clean : this.sql.deadLetterGroups;
    const plan = this.db.transaction(async (client) => {
      await client.query(INDEX_RANGES_ONLY.text);
      const res = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, values);
      throw Object.assign(new Error('rollback'), { plan: res.rows.map((r) => r['QUERY PLAN']).join('\n') });
    });
    return plan.catch((err: Error & { plan?: string }) => {
      if (err.plan === undefined) throw err;
      return err.plan;
    });
  }

  /** A `scheduled` job becomes ready now; `run_now` event by `actor` with the run time it had. */
  async runNow(id: string, actor: string | null): Promise<Job> {
    return this.db.timed('run the job now', async (on) => {
      const current = await this.lock(on, id);
      if (current.state !== 'scheduled')
        throw new JobStateError(id, current.state, 'run now (only scheduled jobs can be)');
      const res = await on.query<JobRow>(withValues(this.sql.runNow, [id]));
      const detail = { previousRunAt: current.run_at };
      await on.query(withValues(this.sql.insertEvent, [id, 'run_now', actor, JSON.stringify(detail)]));
      return toJob(res.rows[0]);
    });
  }

  /** Deletes a finished job with its history; the audit log keeps who did it and what it was. */
  async deleteOne(id: string, actor: string | null): Promise<void> {
    await this.db.timed('delete the job', async (on) => {
      const current = await this.lock(on, id);
      if (!FINISHED.includes(current.state)) {
        throw new JobStateError(id, current.state, 'deleted (only completed, failed or canceled jobs can be)');
      }
      await on.query(withValues(this.sql.deleteOne, [id]));
      const detail = { ids: [id], queue: current.queue, type: current.type, state: current.state };
      await on.query(withValues(this.sql.insertAudit, [actor, 'delete', id, JSON.stringify(detail)]));
    });
  }

  /** Deletes jobs in `state` finished more than `olderThanMs` ago, oldest first, one statement of
   * at most 1,000 rows at a time (each its own transaction), up to `limit`; logs the total. */
  async clean(
    options: { queue?: string; state: JobState; olderThanMs: number; limit: number },
    actor: string | null,
  ): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = Math.min(CLEAN_BATCH_SIZE, options.limit - deleted);
      if (batch <= 0) break;
      const values = [options.state, options.olderThanMs, options.queue ?? null, batch];
      const n = await this.db.timed('clean jobs', async (on) => {
        await on.query(INDEX_RANGES_ONLY); // the finished-jobs index, oldest first
        return (await on.query(withValues(this.sql.clean, values))).rowCount ?? 0;
      });
      deleted += n;
      if (n < batch) break;
    }
    // A clean that deleted nothing changed nothing: no audit row (a loop of them would flood the log).
    if (deleted > 0)
      await this.audit(actor, 'clean', options.queue ?? null, { ...options, queue: options.queue ?? null, deleted });
    return deleted;
  }

  /** Sets a queue's per-node concurrency (null: each node's own configuration) and logs it. */
  async setConcurrency(queue: string, concurrency: number | null, actor: string | null): Promise<void> {
    await this.db.timed('set the queue concurrency', async (on) => {
      await on.query(withValues(this.sql.setConcurrency, [queue, concurrency, actor]));
      await on.query(withValues(this.queues.forgetDefaults, [queue]));
      await on.query(
        withValues(this.sql.insertAudit, [actor, 'queue.concurrency', queue, JSON.stringify({ concurrency })]),
      );
    });
  }

  /**
   * Deletes a queue's settings (pause, concurrency), audited as `queue.delete` with what it held.
   * `in_use` (nothing done) while the queue holds unfinished jobs; `absent` when it has no row.
   */
  async deleteQueue(queue: string, actor: string | null): Promise<'deleted' | 'absent' | 'in_use'> {
    return this.db.timed('delete a queue', async (on) => {
      const used = await on.query<{ used: boolean }>(withValues(this.sql.queueInUse, [queue]));
      if (used.rows[0].used) return 'in_use';
      const gone = await on.query(withValues(this.sql.deleteQueue, [queue]));
      if (gone.rows.length === 0) return 'absent';
      await on.query(withValues(this.sql.insertAudit, [actor, 'queue.delete', queue, JSON.stringify(gone.rows[0])]));
      return 'deleted';
    });
  }

  /** The queues whose concurrency is set at run time (read by every node's queue loops). */
  async concurrencySettings(): Promise<Map<string, number>> {
    const res = await this.db.query<{ name: string; concurrency: number }>(this.sql.concurrencySettings);
    return new Map(res.rows.map((r) => [r.name, r.concurrency]));
  }

  async audit(actor: string | null, action: string, target: string | null, detail: unknown): Promise<void> {
    await this.db.query(withValues(this.sql.insertAudit, [actor, action, target, JSON.stringify(detail)]));
  }

  /** The audit log, newest first, below `before` (an id) when given. */
  async auditLog(before: string | null, limit: number): Promise<AuditRow[]> {
    return this.db.timed(
      'read the audit log',
      async (on) => (await on.query<AuditRow>(withValues(this.sql.audit, [before, limit]))).rows,
    );
  }

  private async lock(on: Queryable, id: string): Promise<JobRow> {
    const res = await on.query<JobRow>(withValues(this.sql.lock, [id]));
    if (res.rows.length === 0) throw new JobNotFoundError(id);
    return res.rows[0];
  }
}
