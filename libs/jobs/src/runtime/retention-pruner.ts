import type { Logger } from '@nestjs/common';
import { PRUNED_STATES, type ResolvedRetention } from '../core/retention';
import type { MaintenanceRepository } from '../storage/maintenance.repository';

/** Rows per delete statement, and statements per state and round at most. */
const BATCH = 1_000;
const MAX_BATCHES = 10;

/**
 * Deletes finished jobs past their keep-time (module default or the queue's own, per state), and
 * audit rows past theirs, in
 * batches of 1,000 rows each in its own short statement, off the hot path. Several nodes may prune
 * at once: each batch skips rows another node has locked.
 */
export class RetentionPruner {
  private timer?: NodeJS.Timeout;
  private running: Promise<void> | null = null;

  constructor(
    private readonly maintenance: MaintenanceRepository,
    private readonly retention: ResolvedRetention,
    private readonly logger: Logger,
    /** How often a round runs. */
    private readonly everyMs = 5_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.prune(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One round over every state and queue; resolves with the rows deleted. */
  prune(): Promise<void> {
    this.running ??= this.round()
      .catch((err: Error) => this.logger.warn(`Pruning finished jobs failed (${err.message})`))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async round(): Promise<void> {
    const overridden = Object.keys(this.retention.queues);
    for (const state of PRUNED_STATES) {
      const keep = this.retention.defaults[state];
      if (keep !== null) await this.drain(state, keep, null, overridden);
      for (const [queue, own] of Object.entries(this.retention.queues)) {
        if (own[state] !== null) await this.drain(state, own[state]!, queue, []);
      }
    }
    const audit = this.retention.auditLog;
    for (let i = 0; audit !== null && i < MAX_BATCHES; i++) {
      if ((await this.maintenance.pruneAudit(audit, BATCH)) < BATCH) break;
    }
  }

  private async drain(state: string, keepMs: number, queue: string | null, except: string[]): Promise<void> {
    for (let i = 0; i < MAX_BATCHES; i++) {
      const n = await this.maintenance.prune(state, keepMs, queue, except, BATCH);
      if (n < BATCH) return;
    }
  }
}
