import { DEFAULT_RETENTION, type RetentionOptions } from 'nest-pg-jobs';
import type { BasicAuth } from './security';

/** Server settings from the environment, checked once at start. */
export interface ServerConfig {
  databaseUrl: string | undefined;
  port: number;
  /** `HOST`: the interface to listen on; loopback unless told otherwise. */
  host: string;
  /** `JOBS_BASIC_AUTH` (`user:password`): credentials for everything but /health. */
  basicAuth: BasicAuth | undefined;
  concurrency: number | undefined;
  schema: string | undefined;
  dataDir: string;
  shutdownGracePeriodMs: number | undefined;
  leaseMs: number | undefined;
  pollIntervalMs: number | undefined;
  /** `JOBS_MAX_PENDING`: cap on waiting jobs per queue (enqueue answers 429 past it). */
  maxPendingJobs: number | undefined;
  /** `JOBS_IDEMPOTENCY_WINDOW_MS`: how long a finished job keeps its idempotency key. */
  idempotencyWindowMs: number | undefined;
  /** File the `simulate` handler appends its execution events to (crash tests read it). */
  executionLog: string | undefined;
  /** `JOBS_API_ACCESS`: `full` (default) or `read-only` for every caller of the admin API. */
  apiAccess: 'full' | 'read-only';
  /** `JOBS_DB_POOL_MAX`: most pooled connections of the process (its dedicated session is one more). */
  poolMax: number;
  /** `JOBS_RETENTION_COMPLETED`, `_FAILED`, `_CANCELED`: how long finished jobs are kept (unset: the library's default). */
  retention: RetentionOptions;
  /** `JOBS_API_WRITE_CONCURRENCY` / `JOBS_API_WRITE_QUEUE`: admin writes at once and waiting. */
  apiWrites: { concurrency?: number; queue?: number };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A keep-time from the environment: `30d`, `12h`, `90m`, `45s`, a number of ms, or `forever` (null). */
function keepTimeFromEnv(name: string): number | null | undefined {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'forever') return null;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(raw);
  if (!match)
    throw new Error(`${name} must be a duration such as 30d, 12h, 90m, 45s or 60000 (ms), or forever; got "${raw}"`);
  return Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms'];
}

/** What the server keeps, said at start: each state's keep-time and where it comes from. */
export function retentionText(retention: RetentionOptions): string {
  const parts = (['completed', 'failed', 'canceled'] as const).map((state) => {
    const given = retention[`${state}Ms`];
    const ms = given === undefined ? DEFAULT_RETENTION[state] : given;
    const source = given === undefined ? 'default' : `JOBS_RETENTION_${state.toUpperCase()}`;
    return `${state} ${ms === null ? 'forever' : durationText(ms)} (${source})`;
  });
  return `Finished jobs are kept: ${parts.join(', ')}`;
}

function durationText(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function retentionFromEnv(): RetentionOptions {
  const retention: RetentionOptions = {};
  for (const state of ['completed', 'failed', 'canceled'] as const) {
    const value = keepTimeFromEnv(`JOBS_RETENTION_${state.toUpperCase()}`);
    if (value !== undefined) retention[`${state}Ms`] = value;
  }
  return retention;
}

function intFromEnv(name: string, min: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
  return value;
}

function accessFromEnv(): 'full' | 'read-only' {
  const raw = process.env.JOBS_API_ACCESS || 'full';
  if (raw !== 'full' && raw !== 'read-only') throw new Error(`JOBS_API_ACCESS must be full or read-only, got "${raw}"`);
  return raw;
}

function basicAuthFromEnv(): BasicAuth | undefined {
  const raw = process.env.JOBS_BASIC_AUTH;
  if (raw === undefined || raw === '') return undefined;
  const colon = raw.indexOf(':');
  if (colon < 1 || colon === raw.length - 1) {
    throw new Error('JOBS_BASIC_AUTH must be user:password, both non-empty');
  }
  return { user: raw.slice(0, colon), password: raw.slice(colon + 1) };
}

export function loadConfig(): ServerConfig {
  return {
    databaseUrl: process.env.DATABASE_URL || undefined,
    port: intFromEnv('PORT', 0) ?? 3000,
    host: process.env.HOST || '127.0.0.1',
    basicAuth: basicAuthFromEnv(),
    concurrency: intFromEnv('JOBS_CONCURRENCY', 1),
    schema: process.env.JOBS_SCHEMA || undefined,
    dataDir: process.env.JOBS_DATA_DIR || '.data/postgres',
    shutdownGracePeriodMs: intFromEnv('JOBS_SHUTDOWN_GRACE_MS', 0),
    leaseMs: intFromEnv('JOBS_LEASE_MS', 1_000),
    pollIntervalMs: intFromEnv('JOBS_POLL_INTERVAL_MS', 10),
    maxPendingJobs: intFromEnv('JOBS_MAX_PENDING', 1),
    idempotencyWindowMs: intFromEnv('JOBS_IDEMPOTENCY_WINDOW_MS', 0),
    executionLog: process.env.JOBS_EXECUTION_LOG || undefined,
    apiAccess: accessFromEnv(),
    poolMax: intFromEnv('JOBS_DB_POOL_MAX', 2) ?? 20,
    retention: retentionFromEnv(),
    apiWrites: {
      concurrency: intFromEnv('JOBS_API_WRITE_CONCURRENCY', 1),
      queue: intFromEnv('JOBS_API_WRITE_QUEUE', 0),
    },
  };
}
