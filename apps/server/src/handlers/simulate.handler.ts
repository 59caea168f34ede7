import { Inject, Injectable, Optional } from '@nestjs/common';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobHandler, PermanentJobError, type Job, type JobContext } from 'nest-pg-jobs';

/** Drives the `simulate` handler's behaviour, for demos and tests. */
export interface SimulatePayload {
  /** Wait this long (honouring ctx.signal). */
  durationMs?: number;
  /** Throw while the current attempt number is <= failTimes. */
  failTimes?: number;
  /** Throw PermanentJobError (no retries). */
  permanent?: boolean;
  /** Never finish by itself: wait until the attempt's signal aborts (a call that never answers but
   * honours cancellation), to exercise timeouts. It cannot hold its slot past the timeout. */
  hang?: boolean;
  /** Throw this value as-is (a non-Error throw). */
  throwValue?: unknown;
  /** Split `durationMs` into this many steps, reporting progress and a log line after each. */
  steps?: number;
}

/** Every `simulate` attempt ends by then: whatever a caller asks, a slot is never held longer. */
export const SIMULATE_TIMEOUT_MS = 30_000;

/** Injection token of the execution log's path (`JOBS_EXECUTION_LOG`), or null for none. */
export const EXECUTION_LOG = Symbol('EXECUTION_LOG');

/**
 * With an execution log, every run appends `start <jobId> <attempt> <pid> <epochMs>` before its work
 * and `end <jobId> <attempt> <pid> <epochMs> <ok|fail>` after it. The appends are synchronous
 * writes, so the lines survive a SIGKILL of the process: crash tests read them to tell which runs
 * were interrupted and how soon they started again.
 */
@Injectable()
@JobHandler('simulate', { timeoutMs: SIMULATE_TIMEOUT_MS, backoff: { baseDelayMs: 100, maxDelayMs: 5_000 } })
export class SimulateHandler {
  constructor(@Optional() @Inject(EXECUTION_LOG) private readonly executionLog: string | null = null) {}

  async handle(job: Job<SimulatePayload>, ctx: JobContext): Promise<void> {
    this.record(`start ${job.id} ${ctx.attempt} ${process.pid} ${Date.now()}`);
    try {
      await this.run(job.payload ?? {}, ctx);
    } catch (err) {
      this.record(`end ${job.id} ${ctx.attempt} ${process.pid} ${Date.now()} fail`);
      throw err;
    }
    this.record(`end ${job.id} ${ctx.attempt} ${process.pid} ${Date.now()} ok`);
  }

  private async run(p: SimulatePayload, ctx: JobContext): Promise<void> {
    const steps = Math.max(1, Math.min(100, Math.floor(p.steps ?? 1)));
    for (let step = 1; step <= steps; step++) {
      if (p.durationMs) await sleep(p.durationMs / steps, undefined, { signal: ctx.signal });
      if (p.steps) {
        await ctx.log(`step ${step} of ${steps} done`);
        await ctx.progress((step / steps) * 100);
      }
    }
    if (p.hang) await hangUntilAborted(ctx.signal);
    if (p.throwValue !== undefined) throw p.throwValue;
    if (p.permanent) throw new PermanentJobError('simulated permanent failure');
    if (p.failTimes !== undefined && ctx.attempt <= p.failTimes) {
      throw new Error(`simulated failure on attempt ${ctx.attempt} of ${p.failTimes}`);
    }
  }

  private record(line: string): void {
    if (this.executionLog) appendFileSync(this.executionLog, `${line}\n`);
  }
}

function hangUntilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
