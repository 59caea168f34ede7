import type { Logger } from '@nestjs/common';
import type { OperatorsRepository } from '../storage/operators.repository';
import type { QueueLoop } from './queue-loop';

/**
 * Follows the queues' run-time concurrency (`PATCH /queues/:name`, stored in `<schema>.queues`):
 * every poll interval it reads the settings (a few rows) and gives each of this node's queue loops
 * its limit, or back its configured concurrency when the setting is cleared.
 */
export class QueueSettingsFollower {
  private timer?: NodeJS.Timeout;
  private reading = false;
  private failing = false;

  constructor(
    private readonly operators: OperatorsRepository,
    private readonly loops: () => Iterable<QueueLoop>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.follow(), this.intervalMs);
    this.timer.unref();
    void this.follow();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the settings once and applies them (a read still under way makes this one skip). */
  async follow(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const settings = await this.operators.concurrencySettings();
      for (const loop of this.loops()) loop.setLimit(settings.get(loop.queue) ?? null);
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.logger.warn(`Reading the queues' concurrency settings failed (${(err as Error).message})`);
      this.failing = true;
    } finally {
      this.reading = false;
    }
  }
}
