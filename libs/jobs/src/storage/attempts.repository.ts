import type { FailedAttempt, Job, OwnedAttempt } from '../interfaces';
import type { Database } from './database';
import { toClaimedJob, type ClaimedRow } from './job-row';
import { abandonStatement } from './statements/abandon.sql';
import { claimStatement } from './statements/claim.sql';
import { completeStatement } from './statements/complete.sql';
import { failStatement } from './statements/fail.sql';
import { promoteDueStatement } from './statements/promote-due.sql';
import { reclaimExpiredStatement } from './statements/reclaim-expired.sql';
import { releaseStatement } from './statements/release.sql';
import { renewStatement } from './statements/renew.sql';
import { attemptKeys, withValues, type Statement } from './statements/statement';

/**
 * The hot path: attempts start (claim), end (complete, fail), go back (release at shutdown, reclaim
 * when a lease expired), and are kept (renew). Each call is one statement for a whole batch; every
 * write is fenced by owner and attempt, and returns the ids it applied to.
 */
export class AttemptsRepository {
  private readonly claimSql: Statement;
  private readonly completeSql: Statement;
  private readonly failSql: Statement;
  private readonly releaseSql: Statement;
  private readonly renewSql: Statement;
  private readonly reclaimSql: Statement;
  private readonly promoteSql: Statement;
  private readonly abandonSql: Statement;

  constructor(private readonly db: Database) {
    this.claimSql = claimStatement(db.names);
    this.completeSql = completeStatement(db.names);
    this.failSql = failStatement(db.names);
    this.releaseSql = releaseStatement(db.names);
    this.renewSql = renewStatement(db.names);
    this.reclaimSql = reclaimExpiredStatement(db.names);
    this.promoteSql = promoteDueStatement(db.names);
    this.abandonSql = abandonStatement(db.names);
  }

  /**
   * Claims up to `limit` ready jobs of `queue` (of `types`), in claim order (priority, run time,
   * id), and starts their attempts (counted, `started_at` set).
   */
  async claim(queue: string, types: string[], limit: number, nodeId: string, leaseMs: number): Promise<Job[]> {
    const res = await this.db.query<ClaimedRow>(withValues(this.claimSql, [queue, types, limit, nodeId, leaseMs]));
    const lockedUntil = new Date(Date.now() + leaseMs);
    return res.rows.map((r) => toClaimedJob(r, nodeId, lockedUntil));
  }

  /** Returns the ids whose completion was accepted (the fence held). */
  async complete(items: OwnedAttempt[], nodeId: string): Promise<Set<string>> {
    return this.fenced(this.completeSql, [items.map((i) => i.id), attemptKeys(items), nodeId]);
  }

  async fail(items: FailedAttempt[], nodeId: string): Promise<Set<string>> {
    return this.fenced(this.failSql, [
      items.map((i) => i.id),
      items.map((i) => i.attempt),
      items.map((i) => i.delayMs),
      items.map((i) => i.outcome),
      items.map((i) => i.error),
      items.map((i) => i.stack),
      items.map((i) => i.startedAt),
      nodeId,
    ]);
  }

  /** Hands unfinished attempts back (shutdown): ready again, the attempt not counted. */
  async release(items: OwnedAttempt[], nodeId: string): Promise<Set<string>> {
    return this.fenced(this.releaseSql, [items.map((i) => i.id), attemptKeys(items), nodeId]);
  }

  /** Returns the `<id>:<attempt>` keys (`attemptKeys`) of the attempts renewed. `timeoutMs`: the renewal is
   * worth nothing later than that (the node measures its lease from when it sent it). */
  async renew(items: OwnedAttempt[], nodeId: string, leaseMs: number, timeoutMs: number): Promise<Set<string>> {
    const res = await this.db.query<{ key: string }>(
      withValues(this.renewSql, [items.map((i) => i.id), attemptKeys(items), nodeId, leaseMs]),
      timeoutMs,
    );
    return new Set(res.rows.map((r) => r.key));
  }

  /** Gives up attempts whose handlers the node aborted unproven (recorded `lost`, retried). */
  async abandon(items: OwnedAttempt[], nodeId: string): Promise<Set<string>> {
    return this.fenced(this.abandonSql, [items.map((i) => i.id), attemptKeys(items), nodeId]);
  }

  /** Takes back up to `limit` running jobs whose lease expired (their attempt recorded as lost). */
  async reclaimExpired(limit: number): Promise<Array<{ id: string; state: string; queue: string }>> {
    const res = await this.db.query<{ id: string; state: string; queue: string }>(withValues(this.reclaimSql, [limit]));
    return res.rows;
  }

  /** Makes up to `limit` due scheduled jobs ready; returns how many. */
  async promoteDue(limit: number): Promise<number> {
    const res = await this.db.query<{ n: number }>(withValues(this.promoteSql, [limit]));
    return res.rows[0].n;
  }

  private async fenced(statement: Statement, values: unknown[]): Promise<Set<string>> {
    const res = await this.db.query<{ id: string }>(withValues(statement, values));
    return new Set(res.rows.map((r) => r.id));
  }
}
