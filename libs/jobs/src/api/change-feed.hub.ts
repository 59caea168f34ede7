import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { FailureBackoff } from '../core/failure-backoff';
import type { JobStateRow } from '../storage/change-feed.repository';
import type { JobState } from '../interfaces';
import type { JobChange } from '../interfaces/admin-views.interface';
import { JOBS_STORAGE, TERMINAL_STATES } from '../jobs.constants';
import { QueueStatisticsService, type QueueSummary } from '../services/queue-statistics.service';
import type { JobsStorage } from '../storage/jobs-storage';
import { JOBS_API_OPTIONS, type JobsApiOptions } from './access';
import { FinishedJobsFollower } from './finished-jobs.follower';

/** A connected stream: where its bytes go, and how to end it. */
export interface ChangeFeedClient {
  write(chunk: string): void;
  /** Bytes written but not yet sent (a stalled client is dropped past a limit). */
  buffered(): number;
  end(): void;
}

export type { JobChange } from '../interfaces/admin-views.interface';

/** Most changes in one `jobs` message (the latest ones are kept). */
export const MAX_CHANGES_PER_MESSAGE = 500;
/** New jobs read per tick (the newest; older ones of a burst are not reported). */
const NEW_JOBS_PER_TICK = 1_000;
/** Unfinished jobs whose state is followed (the most recently seen). */
const MAX_WATCHED = 10_000;
const MAX_RUNNING_READ = 5_000;
/** Longest wait between two polls while reads fail. */
const MAX_RETRY_WAIT_MS = 30_000;
/** A client that has not read this much is dropped (it reconnects and starts afresh). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const TERMINAL = new Set<string>(TERMINAL_STATES);
/** Most ids one client may ask to follow at connect (`?watch=`). */
export const MAX_WATCH_IDS = 1_000;
/** The state of a job a client asked to follow, until its first read (which is then reported). */
const ASKED = '' as JobState;

type Row = JobStateRow;

/**
 * The source of `GET /api/changes` (the change feed), shared by every client of this process. While at least one
 * client is connected it polls the database once per `changesIntervalMs` (default 1 s) with three
 * indexed reads that cost the job hot path nothing: jobs newer than the last id seen (primary key),
 * the current state of the unfinished jobs it follows (primary key lookups, at most 10,000), and the
 * running jobs (the running-state index, bounded by the cluster's slots). Changes are coalesced to
 * the latest state per job and sent as one `jobs` message per tick; queue summaries go out as a
 * `queues` message when they changed. No trigger, no per-job NOTIFY, no extra index.
 */
@Injectable()
export class ChangeFeedHub implements OnModuleDestroy {
  private readonly logger = new Logger('JobsChangeFeed');
  private readonly clients = new Set<ChangeFeedClient>();
  private tickTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private ticking: Promise<void> | null = null;
  /** Followed jobs and their last known state (insertion order: oldest first). */
  private known = new Map<string, Row>();
  private maxId: string | null = null;
  /** Jobs that finished, seen before or not (the finished-jobs index, by finish time). */
  private finished: FinishedJobsFollower;
  private lastQueues = '';
  private lastQueuesMessage: string | null = null;
  private readonly intervalMs: number;
  private readonly heartbeatMs: number;
  /** Bumped by `stop()`: a poll that started before it drops what it read. */
  private generation = 0;
  /** While reads fail, ticks are skipped (one interval, doubling up to `MAX_RETRY_WAIT_MS`). */
  private readonly failing: FailureBackoff;

  constructor(
    @Inject(JOBS_STORAGE) private readonly storage: JobsStorage,
    private readonly stats: QueueStatisticsService,
    @Inject(JOBS_API_OPTIONS) options: JobsApiOptions,
  ) {
    this.finished = new FinishedJobsFollower(storage);
    this.intervalMs = options.changesIntervalMs ?? 1_000;
    this.failing = new FailureBackoff(this.intervalMs, MAX_RETRY_WAIT_MS);
    this.heartbeatMs = options.changesHeartbeatMs ?? 15_000;
  }

  /** Connected clients (for tests and diagnostics). */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Whether the poller runs (only while clients are connected). */
  get active(): boolean {
    return this.tickTimer !== undefined;
  }

  /** Adds a client, following the jobs `watch` names too (a page it loaded before connecting: their
   * current state goes out in the next message); returns the function that removes it (idempotent). */
  subscribe(client: ChangeFeedClient, watch: readonly string[] = []): () => void {
    this.clients.add(client);
    for (const id of watch.slice(0, MAX_WATCH_IDS)) {
      if (!this.known.has(id)) this.known.set(id, { id, state: ASKED, queue: '', type: '' });
    }
    client.write(`retry: 3000\n: connected\n\n`);
    if (this.lastQueuesMessage) client.write(this.lastQueuesMessage);
    if (!this.tickTimer) this.start();
    return () => this.unsubscribe(client);
  }

  onModuleDestroy(): void {
    for (const client of [...this.clients]) {
      this.unsubscribe(client);
      client.end();
    }
  }

  private unsubscribe(client: ChangeFeedClient): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    this.tickTimer = setInterval(() => void this.tick(), this.intervalMs);
    this.tickTimer.unref();
    this.heartbeatTimer = setInterval(
      () => this.broadcast(`: heartbeat ${new Date().toISOString()}\n\n`),
      this.heartbeatMs,
    );
    this.heartbeatTimer.unref();
    void this.tick();
  }

  private stop(): void {
    clearInterval(this.tickTimer);
    clearInterval(this.heartbeatTimer);
    this.tickTimer = undefined;
    this.heartbeatTimer = undefined;
    // The next first client starts afresh (it would otherwise be sent what changed while nobody watched).
    this.known = new Map();
    this.finished = new FinishedJobsFollower(this.storage);
    this.maxId = null;
    this.lastQueues = '';
    this.lastQueuesMessage = null;
    this.generation++;
    this.failing.succeeded();
  }

  /**
   * One poll; a tick still running when the next is due makes that one skip. While reads fail, the
   * ticks back off (one interval, doubling up to 30 s): a failing read is not repeated every
   * second, and is logged once, with its recovery.
   */
  private tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    if (this.failing.waiting() !== null) return Promise.resolve();
    this.ticking = this.poll(this.generation)
      .then(
        () => {
          const failedForMs = this.failing.succeeded();
          if (failedForMs !== null) this.logger.log(`Reading job changes works again (failed for ${failedForMs} ms)`);
        },
        (err: Error) => {
          if (this.failing.failed(err))
            this.logger.warn(`Reading job changes failed (${err.message}); retrying less often`);
        },
      )
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async poll(generation: number): Promise<void> {
    const feed = this.storage.changes;
    const first = this.maxId === null;
    const startId = first ? await feed.maxId() : this.maxId!;
    const changes = new Map<string, JobChange>();
    const see = (row: Row) => {
      const before = this.known.get(row.id);
      if ((!first && (!before || before.state !== row.state)) || before?.state === ASKED) {
        changes.delete(row.id); // keep insertion order = order of the latest change
        changes.set(row.id, { id: row.id, state: row.state, queue: row.queue, type: row.type });
      }
      this.known.delete(row.id);
      if (!TERMINAL.has(row.state)) this.known.set(row.id, row);
    };
    const watched = [...this.known.keys()];
    const follower = this.finished;
    const [fresh, current, running, finished] = await Promise.all([
      feed.newJobs(startId, NEW_JOBS_PER_TICK),
      feed.states(watched),
      feed.running(MAX_RUNNING_READ),
      follower.read(),
    ]);
    // The last client left while this poll read (stop() reset what it follows): nothing to report.
    if (generation !== this.generation) return;
    let maxId = startId;
    const stillThere = new Set(current.map((r) => r.id));
    for (const id of watched) if (!stillThere.has(id)) this.known.delete(id); // deleted
    for (const row of current) see(row);
    for (const row of running) see(row);
    // A finish is a change whether or not the job was followed (reported once, by the follower).
    for (const row of finished) {
      changes.delete(row.id);
      changes.set(row.id, { id: row.id, state: row.state, queue: row.queue, type: row.type });
    }
    for (const row of [...fresh].reverse()) {
      see(row);
      if (BigInt(row.id) > BigInt(maxId)) maxId = row.id;
    }
    this.maxId = maxId;
    while (this.known.size > MAX_WATCHED) this.known.delete(this.known.keys().next().value!);
    if (changes.size > 0) {
      const list = [...changes.values()].slice(-MAX_CHANGES_PER_MESSAGE);
      this.broadcast(message('jobs', { changes: list, at: new Date().toISOString() }));
    }
    await this.pollQueues(generation);
  }

  /** The queue summaries, when they changed. Their counts fail on their own terms (the statistics
   * back off and log): the job changes above still went out. */
  private async pollQueues(generation: number): Promise<void> {
    const items = await this.stats.queues().catch(() => null);
    if (items === null || generation !== this.generation) return;
    const key = JSON.stringify(items.map(stableQueue));
    if (key === this.lastQueues) return;
    this.lastQueues = key;
    this.lastQueuesMessage = message('queues', { items, at: new Date().toISOString() });
    this.broadcast(this.lastQueuesMessage);
  }

  private broadcast(chunk: string): void {
    for (const client of [...this.clients]) {
      if (client.buffered() > MAX_BUFFERED_BYTES) {
        this.unsubscribe(client);
        client.end();
        continue;
      }
      client.write(chunk);
    }
  }
}

/** The parts of a summary whose change is worth a message (not the ages, which always move). */
function stableQueue(q: QueueSummary): unknown {
  return [
    q.name,
    q.paused,
    q.concurrency,
    q.nodes,
    q.noWorkers,
    q.concurrencySetting,
    q.counts,
    q.completedPerMinute,
    q.failedPerMinute,
  ];
}

/** One SSE message; JSON never contains a raw newline, so one `data:` line carries it. */
function message(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
