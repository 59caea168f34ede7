import type { Logger } from '@nestjs/common';
import type { AttemptsRepository } from '../storage/attempts.repository';
import type { NodeLiveness } from './node-liveness';
import type { QueueLoop } from './queue-loop';

export interface LeaseKeeperOptions {
  leaseMs: number;
  livenessCheckMs: number;
}

/**
 * Keeps this node's claims honest, on timers:
 * - every third of the lease: renews the leases of the attempts it owns (fenced by owner and
 *   attempt) and beats its heartbeat; an attempt the database no longer gives it is aborted; if
 *   it could not renew for a whole lease, it can no longer prove it owns anything, so it aborts
 *   every running handler (another node may be running those jobs already);
 * - every `livenessCheckMs`: sweeps the registry for dead nodes and takes back their jobs, and
 *   takes back jobs whose lease expired.
 */
export class LeaseKeeper {
  private renewTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private lastRenewedAt = Date.now();
  private stopping = false;

  constructor(
    private readonly attempts: AttemptsRepository,
    private readonly liveness: NodeLiveness,
    private readonly loops: () => Iterable<QueueLoop>,
    private readonly nodeId: string,
    private readonly options: LeaseKeeperOptions,
    private readonly logger: Logger,
    private readonly onRegistryLost: () => void,
    /** Attempts of other nodes this node took back (dead node or expired lease), by queue. */
    private readonly onTakenBack?: (byQueue: Record<string, number>) => void,
  ) {}

  start(): void {
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.renewTimer.unref();
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.livenessCheckMs);
    this.sweepTimer.unref();
  }

  /** Stops sweeping others; keeps renewing own leases until `stop()`, as handlers may still run. */
  beginShutdown(): void {
    this.stopping = true;
    clearInterval(this.sweepTimer);
  }

  stop(): void {
    clearInterval(this.renewTimer);
    clearInterval(this.sweepTimer);
  }

  async renew(): Promise<void> {
    try {
      let running = 0;
      for (const loop of this.loops()) {
        running += loop.running.size;
        const owned = loop.ownedAttempts();
        if (owned.length === 0) continue;
        const kept = await this.attempts.renew(owned, this.nodeId, this.options.leaseMs);
        for (const { id } of owned) {
          if (!kept.has(id))
            loop.settle(id, 'lost', new Error('Job lease lost: another node or an operator took it over'));
        }
      }
      this.lastRenewedAt = Date.now();
      if (!(await this.liveness.heartbeat(running, this.stopping))) {
        this.logger.warn('This node was declared dead by another (its jobs were taken back); registering again');
        this.onRegistryLost();
      }
    } catch (err) {
      const silentFor = Date.now() - this.lastRenewedAt;
      this.logger.warn(`Renewing leases failed (${(err as Error).message}); last renewed ${silentFor} ms ago`);
      if (silentFor > this.options.leaseMs) this.abandonAll();
    }
  }

  private abandonAll(): void {
    let n = 0;
    for (const loop of this.loops()) {
      for (const { id } of loop.ownedAttempts()) {
        if (loop.settle(id, 'lost', new Error('Job lease expired: the node could not reach the database'))) n++;
      }
    }
    if (n > 0) this.logger.error(`Could not renew leases for a whole lease period: aborted ${n} running handlers`);
  }

  private async sweep(): Promise<void> {
    if (this.stopping) return;
    try {
      const swept = await this.liveness.sweep(this.options.leaseMs);
      if (swept.jobs > 0) this.onTakenBack?.(swept.queues);
      const reclaimed = await this.attempts.reclaimExpired(1_000);
      if (reclaimed.length > 0) {
        this.logger.warn(`Took back ${reclaimed.length} jobs whose lease expired`);
        const byQueue: Record<string, number> = {};
        for (const { queue } of reclaimed) byQueue[queue] = (byQueue[queue] ?? 0) + 1;
        this.onTakenBack?.(byQueue);
      }
    } catch (err) {
      this.logger.warn(`Liveness sweep failed (${(err as Error).message})`);
    }
  }
}
