import type { Logger } from '@nestjs/common';
import type { MinuteRow, StatsRepository } from '../storage/stats.repository';

/** Where a node's per-minute outcomes come from (its metrics). */
export interface MinuteSource {
  /** The outcomes not yet written; they are forgotten there. */
  takeMinutes(): MinuteRow[];
  /** Gives back outcomes whose write failed. */
  restoreMinutes(rows: MinuteRow[]): void;
}

/** How often a node adds its per-minute outcomes to the roll-up table. */
const FLUSH_MS = 2_000;
/** Roll-up rows older than this are deleted (the series answer at most a day). */
const KEEP_MS = 7 * 24 * 60 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Writes this node's per-minute outcomes (completed, failed, retried per queue) to the cluster-wide
 * roll-up every two seconds: one small upsert per node, nothing per job. Prunes old rows now and then.
 */
export class ThroughputRollup {
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> | null = null;
  private lastPrune = 0;

  constructor(
    private readonly stats: StatsRepository,
    private readonly source: MinuteSource,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Writes the last outcomes (before the connections close) and stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Adds the outcomes since the last flush to the roll-up (one statement). */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const deltas = this.source.takeMinutes();
    const prune = Date.now() - this.lastPrune >= PRUNE_EVERY_MS;
    if (deltas.length === 0 && !prune) return;
    this.flushing = (async () => {
      try {
        if (deltas.length > 0) await this.stats.addMinutes(deltas);
        if (prune) {
          this.lastPrune = Date.now();
          await this.stats.pruneMinutes(new Date(Date.now() - KEEP_MS));
        }
      } catch (err) {
        this.source.restoreMinutes(deltas);
        this.logger.warn(`Writing queue throughput failed (${(err as Error).message}); retrying`);
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }
}
