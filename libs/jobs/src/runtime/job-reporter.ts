import type { Logger } from '@nestjs/common';
import type { Job } from '../interfaces';
import type { JobsRepository } from '../storage/jobs.repository';

const MAX_LOG_LENGTH = 4_000;

/**
 * What a handler reports about its own run, `ctx.log()` and `ctx.progress()`, written to
 * `job_events` only while the attempt is still this node's (fenced like every other write). Only
 * handlers that report pay for it: nothing is written for a job that does not. Progress is
 * coalesced: while one write is in flight, only the latest value waits for the next. Reporting
 * never throws into the handler; a refused or failed write resolves to `false`.
 */
export class JobReporter {
  private progressInFlight: Promise<boolean> | null = null;
  private pendingProgress: number | null = null;

  constructor(
    private readonly job: Job,
    private readonly jobs: JobsRepository,
    private readonly nodeId: string,
    private readonly logger: Logger,
  ) {}

  log(message: string): Promise<boolean> {
    const text = String(message);
    const detail = { message: text.length > MAX_LOG_LENGTH ? `${text.slice(0, MAX_LOG_LENGTH)}…` : text };
    return this.write('log', detail);
  }

  progress(percent: number): Promise<boolean> {
    if (typeof percent !== 'number' || !Number.isFinite(percent)) return Promise.resolve(false);
    this.pendingProgress = Math.min(100, Math.max(0, Math.round(percent * 10) / 10));
    if (!this.progressInFlight) this.progressInFlight = this.flushProgress();
    return this.progressInFlight;
  }

  private async flushProgress(): Promise<boolean> {
    let written = false;
    try {
      while (this.pendingProgress !== null) {
        const value = this.pendingProgress;
        this.pendingProgress = null;
        written = await this.write('progress', { value });
      }
    } finally {
      this.progressInFlight = null;
    }
    return written;
  }

  private async write(kind: 'log' | 'progress', detail: Record<string, unknown>): Promise<boolean> {
    try {
      return await this.jobs.recordRunEvent(this.job.id, this.job.attempts, this.nodeId, kind, detail);
    } catch (err) {
      this.logger.warn(`Recording ${kind} of job ${this.job.id} failed (${(err as Error).message})`);
      return false;
    }
  }
}
