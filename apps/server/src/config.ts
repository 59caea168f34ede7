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
  /** `JOBS_API_WRITE_CONCURRENCY` / `JOBS_API_WRITE_QUEUE`: admin writes at once and waiting. */
  apiWrites: { concurrency?: number; queue?: number };
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
    apiWrites: {
      concurrency: intFromEnv('JOBS_API_WRITE_CONCURRENCY', 1),
      queue: intFromEnv('JOBS_API_WRITE_QUEUE', 0),
    },
  };
}
