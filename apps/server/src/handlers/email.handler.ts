import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobHandler, type Job, type JobContext } from 'nest-pg-jobs';

export interface EmailPayload {
  to: string;
  subject?: string;
  body?: string;
}

/** Example handler: a simulated e-mail send (a short wait that honours cancellation). */
@Injectable()
@JobHandler('email', { queue: 'default', maxAttempts: 5, timeoutMs: 30_000 })
export class EmailHandler {
  private readonly logger = new Logger(EmailHandler.name);

  async handle(job: Job<EmailPayload>, ctx: JobContext): Promise<{ sent: boolean }> {
    await sleep(20, undefined, { signal: ctx.signal });
    this.logger.log(`Sent "${job.payload.subject ?? '(no subject)'}" to ${job.payload.to} (job ${job.id})`);
    return { sent: true };
  }
}
