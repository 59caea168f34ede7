import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobHandler, PermanentJobError, type Job, type JobContext } from '@app/jobs';

/** Drives the `simulate` handler's behaviour, for demos and tests. */
export interface SimulatePayload {
  /** Wait this long (honouring ctx.signal). */
  durationMs?: number;
  /** Throw while the current attempt number is <= failTimes. */
  failTimes?: number;
  /** Throw PermanentJobError (no retries). */
  permanent?: boolean;
  /** Never resolve (ignores the signal), to exercise timeouts. */
  hang?: boolean;
  /** Throw this value as-is (a non-Error throw). */
  throwValue?: unknown;
}

@Injectable()
@JobHandler('simulate', { timeoutMs: 60_000, backoff: { baseDelayMs: 100, maxDelayMs: 5_000 } })
export class SimulateHandler {
  async handle(job: Job<SimulatePayload>, ctx: JobContext): Promise<void> {
    const p = job.payload ?? {};
    if (p.durationMs) await sleep(p.durationMs, undefined, { signal: ctx.signal });
    if (p.hang) await new Promise<never>(() => undefined);
    if (p.throwValue !== undefined) throw p.throwValue;
    if (p.permanent) throw new PermanentJobError('simulated permanent failure');
    if (p.failTimes !== undefined && ctx.attempt <= p.failTimes) {
      throw new Error(`simulated failure on attempt ${ctx.attempt} of ${p.failTimes}`);
    }
  }
}
