import { Inject, Injectable } from '@nestjs/common';
import {
  OPERATOR_LIMITS,
  parseAuditQuery,
  parseCleanBody,
  parseGroupsQuery,
  parseQueuePatch,
} from '../core/operator-input';
import { isJobId } from '../core/storable';
import { checkName } from '../core/enqueue-input';
import { JobNotFoundError, QueueInUseError } from '../errors';
import type { DeadLetterGroups, Job } from '../interfaces';
import { JOBS_STORAGE, LIMITS } from '../jobs.constants';
import { withDatabaseErrors } from '../storage/database-errors';
import type { JobsStorage } from '../storage/jobs-storage';
import type { AuditRow } from '../storage/operators.repository';

/**
 * What operators do beyond replay and cancel: the dead letters grouped by error (computed in the
 * database), run a scheduled job now, delete finished jobs, clean old ones in bounded batches, set
 * a queue's concurrency at run time, and the audit log of those actions. Input is validated here
 * (`InvalidJobOptionsError` naming the field) before anything is written.
 */
@Injectable()
export class JobsOperatorsService {
  /** Queues served by a live node, read at most once a second (for the enqueue warning). */
  private served?: { at: number; names: Set<string> };

  constructor(@Inject(JOBS_STORAGE) private readonly storage: JobsStorage) {}

  /** Failed jobs grouped by queue, type and error signature, most failures first. */
  async deadLetterGroups(
    query: unknown = {},
    scan: number = OPERATOR_LIMITS.deadLetterScan,
  ): Promise<DeadLetterGroups> {
    const { limit, ...filter } = parseGroupsQuery(query);
    const found = await withDatabaseErrors('group dead letters', () =>
      this.storage.operators.deadLetterGroups(filter, scan, limit),
    );
    return { items: found.groups, total: found.scanned, estimated: found.estimated, scanned: found.scanned };
  }

  /** A `scheduled` job (delayed, or waiting to retry) becomes ready now. `JobStateError` otherwise. */
  async runNow(id: string, options: { actor?: string } = {}): Promise<Job> {
    if (!isJobId(String(id))) throw new JobNotFoundError(String(id));
    return withDatabaseErrors('run the job now', () =>
      this.storage.operators.runNow(String(id), options.actor ?? null),
    );
  }

  /** Deletes a finished job (`completed`, `failed`, `canceled`) with its history. */
  async delete(id: string, options: { actor?: string } = {}): Promise<{ id: string; deleted: true }> {
    if (!isJobId(String(id))) throw new JobNotFoundError(String(id));
    await withDatabaseErrors('delete the job', () =>
      this.storage.operators.deleteOne(String(id), options.actor ?? null),
    );
    return { id: String(id), deleted: true };
  }

  /** Deletes finished jobs of a state older than `olderThanMs`, in statements of 1,000 rows. */
  async clean(body: unknown, options: { actor?: string } = {}): Promise<{ deleted: number }> {
    const parsed = parseCleanBody(body);
    const deleted = await withDatabaseErrors('clean jobs', () =>
      this.storage.operators.clean(parsed, options.actor ?? null),
    );
    return { deleted };
  }

  /** Sets (or, with null, clears) a queue's per-node concurrency; nodes follow within a poll interval. */
  async setConcurrency(name: string, body: unknown, options: { actor?: string } = {}): Promise<void> {
    const { queue, concurrency } = parseQueuePatch(name, body);
    await withDatabaseErrors('set the queue concurrency', () =>
      this.storage.operators.setConcurrency(queue, concurrency, options.actor ?? null),
    );
  }

  /**
   * Deletes a queue's settings (paused, concurrency) so that it no longer shows when nothing uses
   * it; audited. `QueueInUseError` while it holds unfinished jobs. Answers whether a row went.
   */
  async deleteQueue(name: string, options: { actor?: string } = {}): Promise<boolean> {
    const queue = checkName('queue', name, LIMITS.maxQueueLength);
    const outcome = await withDatabaseErrors('delete a queue', () =>
      this.storage.operators.deleteQueue(queue, options.actor ?? null),
    );
    if (outcome === 'in_use') throw new QueueInUseError(queue);
    return outcome === 'deleted';
  }

  /** A warning when no live node serves `queue` (or its concurrency is set to 0): its jobs wait. */
  async noWorkersWarning(queue: string): Promise<string | undefined> {
    const now = Date.now();
    if (!this.served || now - this.served.at > 1_000) {
      const [nodes, settings] = await Promise.all([this.storage.nodes.list(), this.storage.queues.list()]);
      const stopped = new Set(settings.filter((s) => s.concurrency === 0).map((s) => s.name));
      const names = new Set<string>();
      for (const n of nodes) {
        if (n.stopping) continue;
        for (const [q, c] of Object.entries(n.queues ?? {})) if (Number(c) > 0 && !stopped.has(q)) names.add(q);
      }
      this.served = { at: now, names };
    }
    if (this.served.names.has(queue)) return undefined;
    return `No live node serves queue "${queue}": the job waits until one does`;
  }

  /** The audit log of deletes, cleans and queue settings, newest first. */
  async auditLog(query: unknown = {}): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
    const { limit, before } = parseAuditQuery(query);
    const rows = await this.storage.operators.auditLog(before, limit + 1);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }
}
