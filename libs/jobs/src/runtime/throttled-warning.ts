import type { Logger } from '@nestjs/common';

/**
 * A warning that repeats while a condition lasts (the database away, a partition): shown at most once
 * per `everyMs`, the next one saying how many were held back, so an outage does not flood the log.
 */
export class ThrottledWarning {
  private shownAt = -Infinity;
  private held = 0;

  constructor(
    private readonly logger: Logger,
    private readonly everyMs = 5_000,
  ) {}

  warn(message: string): void {
    const now = performance.now();
    if (now - this.shownAt < this.everyMs) {
      this.held += 1;
      return;
    }
    const held =
      this.held > 0 ? ` (${this.held} more like it in the last ${Math.round((now - this.shownAt) / 1000)} s)` : '';
    this.shownAt = now;
    this.held = 0;
    this.logger.warn(`${message}${held}`);
  }
}
