import type { Logger } from '@nestjs/common';
import type { JobsStorage } from '../storage/jobs-storage';

/**
 * A worker node's housekeeping, every `pollIntervalMs`: scheduled jobs whose time has come become
 * ready (bounded batches), and idempotency keys whose window passed are released. Off the hot path;
 * a failure is logged and tried again next time.
 */
export class Maintenance {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly storage: JobsStorage,
    private readonly options: { pollIntervalMs: number; idempotencyWindowMs: number },
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run(), this.options.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async run(): Promise<void> {
    try {
      await this.storage.attempts.promoteDue(1_000);
      await this.storage.jobs.expireIdempotencyKeys(this.options.idempotencyWindowMs);
    } catch (err) {
      this.logger.warn(`Maintenance failed (${(err as Error).message})`);
    }
  }
}
