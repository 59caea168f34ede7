import type { INestApplicationContext } from '@nestjs/common';
import { AssertionError } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { JobNotFoundError } from '../errors';
import type { Job, JobPayload, JobState, JobType, JobWithAttempts } from '../interfaces';
import { JOBS_STORAGE, TERMINAL_STATES } from '../jobs.constants';
import { JobsRunner } from '../services/jobs-runner';
import { JobsService } from '../services/jobs.service';
import type { JobsStorage } from '../storage/jobs-storage';
import { TestingRepository, type JobMatch } from '../storage/testing.repository';
import { matchesPayload, type PayloadMatch } from './match-payload';

/** Which jobs a helper looks at: all of them, or those of some types and/or one queue. */
export interface JobsFilter<K extends JobType = JobType> {
  type?: K | K[];
  queue?: string;
}

export interface DrainOptions<K extends JobType = JobType> extends JobsFilter<K> {
  /** Give up (rejecting with what is still unfinished) after this long; default 10 s. */
  timeoutMs?: number;
  /** Run scheduled jobs (delayed ones and retries waiting out their backoff) at once instead of at
   * their time; default true. */
  runScheduled?: boolean;
}

/** Where the tester finds the module's providers: the application, or a `ModuleRef`. */
export type ProviderLookup = Pick<INestApplicationContext, 'get'>;

const POLL_MS = 20;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Test helpers over a running application's `JobsModule`: what was enqueued, run the queued jobs to
 * completion and get their outcomes, wait for one job. `new JobsTester(app)` after `app.init()`, or
 * `app.get(JobsTester)` with `JobsTestingModule` imported. The jobs run on the application's own
 * workers, through the real engine; the helpers wait by polling the database every 20 ms.
 */
export class JobsTester {
  private resolved?: { jobs: JobsService; runner: JobsRunner; storage: JobsStorage; repo: TestingRepository };

  constructor(private readonly app: ProviderLookup) {}

  /** Jobs enqueued so far (any state, oldest first), of the filter's types and queue. */
  async enqueued<K extends JobType = JobType>(
    filter: JobsFilter<K> & { state?: JobState | JobState[] } = {},
  ): Promise<Array<Job<JobPayload<K>>>> {
    const states = filter.state === undefined ? undefined : ([] as JobState[]).concat(filter.state);
    return (await this.parts().repo.list(toMatch(filter), states)) as Array<Job<JobPayload<K>>>;
  }

  /**
   * Asserts that jobs of `type` were enqueued whose payload matches `match` (a part of the payload,
   * compared deeply, or a predicate): at least one, or exactly `count`. Returns them; throws an
   * `AssertionError` listing what was enqueued otherwise. `{ count: 0 }` asserts none was.
   */
  async assertEnqueued<K extends JobType>(
    type: K,
    match?: PayloadMatch<JobPayload<K>>,
    options: { count?: number } = {},
  ): Promise<Array<Job<JobPayload<K>>>> {
    const all = await this.enqueued({ type });
    const found = match === undefined ? all : all.filter((job) => matchesPayload(job.payload, match));
    const ok = options.count === undefined ? found.length > 0 : found.length === options.count;
    if (!ok) {
      const wanted = options.count === undefined ? 'at least 1' : String(options.count);
      const what =
        match === undefined
          ? ''
          : ` matching ${typeof match === 'function' ? match.toString() : JSON.stringify(match)}`;
      const seen = all.slice(0, 10).map((job) => `  #${job.id} ${job.state} ${JSON.stringify(job.payload)}`);
      const more = all.length > 10 ? [`  … and ${all.length - 10} more`] : [];
      throw new AssertionError({
        message:
          `Expected ${wanted} "${type}" job(s)${what}, found ${found.length}. ` +
          `"${type}" jobs enqueued: ${all.length}${all.length > 0 ? '\n' : ''}${[...seen, ...more].join('\n')}`,
        actual: found.length,
        expected: options.count ?? 1,
        operator: options.count === undefined ? '>=' : '===',
      });
    }
    return found;
  }

  /**
   * Runs the queued jobs of the filter's types and queue (all by default) to completion on this
   * application's workers, including jobs they enqueue meanwhile, then returns every job of the
   * filter in the schema (oldest first, with attempt history), each `completed`, `failed` or
   * `canceled`: also those that had finished before the call (a job may run as soon as it is
   * enqueued), so `clear()` between tests. Retries and delayed jobs run at once unless
   * `runScheduled: false`. Rejects after `timeoutMs`, naming what is unfinished.
   */
  async drain<K extends JobType = JobType>(
    options: DrainOptions<K> = {},
  ): Promise<Array<JobWithAttempts<JobPayload<K>>>> {
    const { runner, repo } = this.parts();
    const health = runner.health();
    if (!health.workers)
      throw new Error('drain() runs jobs on this application, but its JobsModule has workers: false');
    if (!health.started) throw new Error('drain() needs the application started: call app.init() first');
    const match = toMatch(options);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    runner.wakeAll();
    for (;;) {
      if (options.runScheduled !== false) for (const queue of await repo.runScheduledNow(match)) runner.wake(queue);
      const left = await repo.unfinished(match);
      if (Object.keys(left).length === 0) break;
      if (Date.now() > deadline) throw new Error(await this.stuck('drain()', match, left, timeoutMs));
      await sleep(POLL_MS);
    }
    return (await repo.withAttempts(match)) as Array<JobWithAttempts<JobPayload<K>>>;
  }

  /** Waits until the job is `completed`, `failed` or `canceled`, and returns it with its attempt
   * history. It does not hurry a scheduled job (`drain()` does). Rejects after `timeoutMs` (10 s). */
  async waitForJob<T = unknown>(
    job: string | { id: string },
    options: { timeoutMs?: number } = {},
  ): Promise<JobWithAttempts<T>> {
    const id = typeof job === 'string' ? job : job.id;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await this.parts().jobs.get<T>(id);
      if (!found) throw new JobNotFoundError(id);
      if ((TERMINAL_STATES as readonly string[]).includes(found.state)) return found;
      if (Date.now() > deadline) {
        const last = found.lastError ? `; last error: ${found.lastError}` : '';
        throw new Error(`Job ${id} is still ${found.state} after ${timeoutMs} ms (attempts ${found.attempts}${last})`);
      }
      await sleep(POLL_MS);
    }
  }

  /** Deletes every job of the module's schema, with its history: a clean slate between tests. */
  async clear(): Promise<void> {
    await this.parts().repo.clear();
  }

  private parts(): NonNullable<JobsTester['resolved']> {
    if (!this.resolved) {
      const find = <T>(token: unknown): T => this.app.get(token as string, { strict: false }) as T;
      const storage = find<JobsStorage | undefined>(JOBS_STORAGE);
      if (!storage) throw new Error('JobsTester found no JobsModule in this application');
      this.resolved = {
        jobs: find(JobsService),
        runner: find(JobsRunner),
        storage,
        repo: new TestingRepository(storage.db),
      };
    }
    return this.resolved;
  }

  private async stuck(
    what: string,
    match: JobMatch,
    left: Partial<Record<JobState, number>>,
    timeoutMs: number,
  ): Promise<string> {
    const counts = Object.entries(left).map(([state, n]) => `${state} ${n}`);
    const paused = (await this.parts().storage.queues.list()).filter((q) => q.paused).map((q) => q.name);
    const scope = [match.types ? `types ${match.types.join(', ')}` : '', match.queue ? `queue ${match.queue}` : '']
      .filter(Boolean)
      .join(', ');
    return (
      `${what}${scope ? ` (${scope})` : ''}: jobs still unfinished after ${timeoutMs} ms: ${counts.join(', ')}` +
      (paused.length > 0 ? `; paused queues: ${paused.join(', ')}` : '')
    );
  }
}

function toMatch(filter: JobsFilter<string>): JobMatch {
  return {
    types: filter.type === undefined ? undefined : ([] as string[]).concat(filter.type),
    queue: filter.queue,
  };
}
