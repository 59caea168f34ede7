import type { Logger } from '@nestjs/common';
import type { AttemptsRepository } from '../storage/attempts.repository';
import { SESSION_GRACE_MS, WATCHDOG_MS, type LeaseClock } from './lease-clock';
import type { NodeLiveness } from './node-liveness';
import type { QueueLoop } from './queue-loop';
import { ownedKey } from './running-attempt';
import { ThrottledWarning } from './throttled-warning';

export interface LeaseKeeperOptions {
  leaseMs: number;
  livenessCheckMs: number;
}

/** At most this long between heartbeats, whatever the lease: the registry's `running` counts stay fresh. */
const MAX_HEARTBEAT_MS = 2_000;

/**
 * Keeps this node's claims honest, on timers:
 * - every third of the lease: renews the leases of the attempts it owns (fenced by owner and
 *   attempt); an attempt the database no longer gives it is aborted;
 * - every third of the lease (2 s at most): beats its heartbeat;
 * - every `WATCHDOG_MS`: compares each attempt's deadline (`LeaseClock`) with the monotonic clock,
 *   and aborts the handlers whose lease it can no longer prove, before any other node may take their
 *   jobs (a renewal that fails or hangs, a session that cannot be re-established, a process that was
 *   stopped: on resume this timer is due before any handler's, so it runs first);
 * - every `livenessCheckMs`: sweeps the registry for dead nodes and takes back their jobs, and
 *   takes back jobs whose lease expired.
 * Renewals and heartbeats are never queued behind one still in flight, and give up after a third of
 * the lease: a late answer proves nothing the next one will not.
 */
export class LeaseKeeper {
  private renewTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private renewing = false;
  private beating = false;
  private lastTick = performance.now();
  private stopping = false;
  /** After `stop()`: the node has left the registry, so a heartbeat answered late is not a death. */
  private stopped = false;
  private readonly warning: ThrottledWarning;

  constructor(
    private readonly attempts: AttemptsRepository,
    private readonly liveness: NodeLiveness,
    private readonly clock: LeaseClock,
    private readonly loops: () => Iterable<QueueLoop>,
    private readonly nodeId: string,
    private readonly options: LeaseKeeperOptions,
    private readonly logger: Logger,
    private readonly onRegistryLost: () => void,
    /** Attempts of other nodes this node took back (dead node or expired lease), by queue. */
    private readonly onTakenBack?: (byQueue: Record<string, number>) => void,
  ) {
    this.warning = new ThrottledWarning(logger);
  }

  private get renewEveryMs(): number {
    return Math.max(100, Math.floor(this.options.leaseMs / 3));
  }

  start(): void {
    this.renewTimer = setInterval(() => void this.renew(), this.renewEveryMs);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.min(this.renewEveryMs, MAX_HEARTBEAT_MS));
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.livenessCheckMs);
    this.watchdog = setInterval(() => this.enforce(), WATCHDOG_MS);
    for (const timer of [this.renewTimer, this.heartbeatTimer, this.sweepTimer, this.watchdog]) timer.unref();
  }

  /** Stops sweeping others; keeps renewing own leases until `stop()`, as handlers may still run. */
  beginShutdown(): void {
    this.stopping = true;
    clearInterval(this.sweepTimer);
    void this.heartbeat();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of [this.renewTimer, this.heartbeatTimer, this.sweepTimer, this.watchdog]) clearInterval(timer);
  }

  /** Renews the leases of the attempts this node owns, and its heartbeat. */
  async renew(): Promise<void> {
    void this.heartbeat();
    if (this.renewing) return;
    this.renewing = true;
    try {
      await Promise.all([...this.loops()].map((loop) => this.renewLoop(loop)));
    } catch (err) {
      this.warning.warn(`Renewing leases failed (${(err as Error).message})`);
    } finally {
      this.renewing = false;
    }
  }

  private async renewLoop(loop: QueueLoop): Promise<void> {
    const owned = loop.owned.list();
    if (owned.length === 0) return;
    const sentAt = performance.now();
    const kept = await this.attempts.renew(owned, this.nodeId, this.options.leaseMs, this.renewEveryMs);
    for (const item of owned) {
      const attempt = loop.owned.get(ownedKey(item));
      if (!attempt) continue; // ended meanwhile
      if (kept.has(ownedKey(item))) attempt.leaseSentAt = Math.max(attempt.leaseSentAt, sentAt);
      else loop.settle(attempt, 'lost', new Error('Job lease lost: another node or an operator took it over'));
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      let running = 0;
      for (const loop of this.loops()) running += loop.running.size;
      const sentAt = performance.now();
      if (await this.liveness.heartbeat(running, this.stopping, this.renewEveryMs)) {
        this.clock.heartbeatProved(sentAt);
        return;
      }
      if (this.stopped) return;
      this.clock.forget();
      this.enforce();
      this.logger.warn('This node was declared dead by another (its jobs were taken back); registering again');
      this.onRegistryLost();
    } catch (err) {
      this.warning.warn(`Heartbeat failed (${(err as Error).message})`);
    } finally {
      this.beating = false;
    }
  }

  /** Gives up the attempts whose lease the node can no longer prove (see `LeaseClock`). */
  private enforce(): void {
    const now = performance.now();
    const pausedMs = now - this.lastTick - WATCHDOG_MS;
    this.lastTick = now;
    if (pausedMs > SESSION_GRACE_MS) this.warning.warn(`This process did not run for ${Math.round(pausedMs)} ms`);
    let aborted = 0;
    for (const loop of this.loops()) aborted += loop.enforceLeases(now);
    if (aborted > 0) {
      this.logger.error(
        `Could not prove this node's leases in time: aborted ${aborted} running handlers before another node may take their jobs`,
      );
    }
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
      this.warning.warn(`Liveness sweep failed (${(err as Error).message})`);
    }
  }
}
