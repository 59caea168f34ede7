import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { JOBS_STORAGE } from '../jobs.constants';
import { JobsRunner } from '../services/jobs-runner';
import type { JobsStorage } from '../storage/jobs-storage';
import type { ProbeConnection } from '../storage/probe-connection';

/** One indicator's entry, as `@nestjs/terminus` reports it. */
export type JobsHealthIndicatorResult = Record<string, { status: 'up' | 'down'; [detail: string]: unknown }>;

/** The whole answer of a health endpoint, in `@nestjs/terminus`'s `HealthCheckResult` shape. */
export interface JobsHealthCheckResult {
  status: 'ok' | 'error';
  info: JobsHealthIndicatorResult;
  error: JobsHealthIndicatorResult;
  details: JobsHealthIndicatorResult;
}

/** Thrown by `isHealthy` when something is down. Like terminus's `HealthCheckError` it carries
 * `causes` (the indicator's result), which is what terminus's `HealthCheckService` looks for. */
export class JobsHealthCheckError extends Error {
  constructor(
    message: string,
    readonly causes: JobsHealthIndicatorResult,
  ) {
    super(message);
    this.name = 'JobsHealthCheckError';
  }
}

/**
 * Health of this node's jobs engine: the database answers `SELECT 1` within `timeoutMs` (on a
 * connection of its own, so that a burst of requests holding the pool does not fail it), and, on a
 * node that runs workers, the runner has started, is registered as a live node (confirmed by the
 * registry within a lease) and is not shutting down.
 *
 * With `@nestjs/terminus`: `health.check([() => jobsHealth.isHealthy('jobs')])`. Without it, the
 * `JobsObservabilityModule` serves `/health` from `check()`.
 */
@Injectable()
export class JobsHealthIndicator implements OnApplicationShutdown {
  private readonly probe: ProbeConnection;

  constructor(
    @Inject(JOBS_STORAGE) storage: JobsStorage,
    private readonly runner: JobsRunner,
  ) {
    this.probe = storage.probeConnection();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.probe.close();
  }

  /** The database: up when `SELECT 1` answers within `timeoutMs`. */
  async database(key = 'database', timeoutMs = 2_000): Promise<JobsHealthIndicatorResult> {
    const ping = await this.probe.ping(timeoutMs);
    return ping.ok
      ? { [key]: { status: 'up', responseTimeMs: ping.ms } }
      : { [key]: { status: 'down', message: ping.message } };
  }

  /** This node's workers: up when they run as they should (or the node runs none by design). */
  workers(key = 'workers'): JobsHealthIndicatorResult {
    const h = this.runner.health();
    const { running, capacity } = { running: this.runner.runningCount(), capacity: this.runner.capacity() };
    const base = { nodeId: this.runner.nodeId, running, capacity };
    if (!h.workers) return { [key]: { status: 'up', state: 'disabled', ...base } };
    if (h.shuttingDown) return { [key]: { status: 'down', state: 'stopping', ...base } };
    if (!h.started) return { [key]: { status: 'down', state: 'not_started', ...base } };
    if (!h.registered) return { [key]: { status: 'down', state: 'not_registered', ...base } };
    return { [key]: { status: 'up', state: 'running', ...base } };
  }

  /** Both checks, in terminus's `HealthCheckResult` shape (never throws). */
  async check(timeoutMs = 2_000): Promise<JobsHealthCheckResult> {
    const parts = [await this.database('database', timeoutMs), this.workers('workers')];
    const details: JobsHealthIndicatorResult = Object.assign({}, ...parts);
    const info: JobsHealthIndicatorResult = {};
    const error: JobsHealthIndicatorResult = {};
    for (const [k, v] of Object.entries(details)) (v.status === 'up' ? info : error)[k] = v;
    return { status: Object.keys(error).length === 0 ? 'ok' : 'error', info, error, details };
  }

  /**
   * A terminus health indicator function's body: resolves `{ [key]: { status: 'up', database,
   * workers, … } }`, or throws `JobsHealthCheckError` whose `causes` has `status: 'down'`.
   */
  async isHealthy(key = 'jobs', timeoutMs = 2_000): Promise<JobsHealthIndicatorResult> {
    const result = await this.check(timeoutMs);
    const entry = {
      status: result.status === 'ok' ? ('up' as const) : ('down' as const),
      ...Object.fromEntries(Object.entries(result.details).map(([k, v]) => [k, v])),
    };
    if (entry.status === 'down') throw new JobsHealthCheckError('Jobs health check failed', { [key]: entry });
    return { [key]: entry };
  }
}
