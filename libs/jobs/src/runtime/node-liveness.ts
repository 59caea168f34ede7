import type { Logger } from '@nestjs/common';
import type { Queryable } from '../storage/database';
import type { NodesRepository, SweepResult } from '../storage/nodes.repository';
import { SESSION_GRACE_MS, type LeaseClock } from './lease-clock';

/** After a PostgreSQL restart, how long a node that is back waits before it declares dead the
 * nodes that are not: every live node's listener retries at least once a second
 * (`NotificationListener`), so one still missing after this died while the server was down. */
export const RESTART_GRACE_MS = 2_500;

/**
 * This node's entry in the registry of live nodes, and the sweep that finds dead ones.
 *
 * Liveness has two signals. The session: the node holds an advisory lock on its dedicated
 * connection, which PostgreSQL releases the moment the process dies (the operating system closes
 * its sockets). A free lock is not death yet: a live node's session can drop too (a terminated
 * backend, a pooler restart, a network blip), and such a node reconnects and takes its lock again at
 * once. So a node is dead when its lock has stayed free for `SESSION_GRACE_MS` since a sweep first
 * saw it free; a crashed node's jobs run again about a second after the crash. The heartbeat: a node
 * whose `last_seen` is older than its lease is dead too (frozen, partitioned). A PostgreSQL restart
 * ends every session, so the lock test only applies to sessions started since the server did; a node
 * whose session predates the restart is dead once the sweeping node has itself been back for
 * `RESTART_GRACE_MS`. Every registration and heartbeat that succeeds is a proof for this node's own
 * `LeaseClock`, counted from when it was sent.
 */
export class NodeLiveness {
  private lockKey: number | null = null;
  /** When the registry last confirmed this node (registration or heartbeat); 0: not registered. */
  private confirmedAt = 0;

  constructor(
    private readonly nodes: NodesRepository,
    private readonly nodeId: string,
    private readonly queues: Record<string, number>,
    private readonly clock: LeaseClock,
    private readonly logger: Logger,
  ) {}

  /** Run on the dedicated connection after every (re)connect: take the lock, then say we are live. */
  async onSession(session: Queryable): Promise<void> {
    const sentAt = performance.now();
    const node = { id: this.nodeId, queues: this.queues, leaseMs: this.clock.leaseMs };
    this.lockKey = await this.nodes.registerSession(session, node, this.lockKey);
    this.clock.sessionProved(sentAt);
    this.clock.heartbeatProved(sentAt);
    this.confirmedAt = Date.now();
  }

  /** A round trip on the registered session, sent at `sentAt` (monotonic), succeeded. */
  sessionAnswered(sentAt: number): void {
    this.clock.sessionProved(sentAt);
  }

  /** The session is gone: the grace of the sweep counts until the node registers again. */
  sessionLost(): void {
    this.clock.sessionLost();
  }

  /** Returns false when the registry no longer has this node: others declared it dead. */
  async heartbeat(running: number, stopping: boolean, timeoutMs: number): Promise<boolean> {
    const alive = await this.nodes.heartbeat(this.nodeId, running, stopping, timeoutMs);
    this.confirmedAt = alive ? Date.now() : 0;
    return alive;
  }

  /** Registered, and confirmed by the registry within `withinMs` (for health checks). */
  registered(withinMs: number): boolean {
    return this.confirmedAt > 0 && Date.now() - this.confirmedAt <= withinMs;
  }

  async sweep(staleMs: number): Promise<SweepResult> {
    const result = await this.nodes.sweep(this.nodeId, staleMs, RESTART_GRACE_MS, SESSION_GRACE_MS);
    if (result.nodes.length > 0) {
      this.logger.warn(
        `Node(s) ${result.nodes.join(', ')} died: put ${result.jobs} of their running jobs back in the queue`,
      );
    }
    return result;
  }

  async remove(): Promise<void> {
    this.confirmedAt = 0;
    await this.nodes.remove(this.nodeId);
  }
}
