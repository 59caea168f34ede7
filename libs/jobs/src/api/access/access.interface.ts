import type { CanActivate, Type } from '@nestjs/common';
import type { Request } from 'express';

/** Write actions of the admin API. Reading is allowed to anyone the host's guards let through. */
export const JOBS_ACTIONS = ['enqueue', 'replay', 'cancel', 'pause', 'delete', 'schedule'] as const;
export type JobsAction = (typeof JOBS_ACTIONS)[number];

/** What a caller may do: everything, only read, or per action. */
export type JobsAccess = 'full' | 'read-only' | Partial<Record<JobsAction, boolean>>;

export interface JobsApiOptions {
  /** Resolves the caller's rights from the request (after the host's guards ran). Default: `full`. */
  access?: (req: Request) => JobsAccess | Promise<JobsAccess>;
  /** Host guards (authentication) applied to every route of the API, before `access`. */
  guards?: Array<Type<CanActivate> | CanActivate>;
  /** Who is acting, for the audit trail of writes (replay, cancel, …). Default: `'api'`. */
  actor?: (req: Request) => string | Promise<string>;
  /** How often `GET /changes` looks for job changes while a client is connected (default 1000 ms). */
  changesIntervalMs?: number;
  /** Heartbeat comment interval of `GET /changes` (default 15000 ms). */
  changesHeartbeatMs?: number;
  /** Writes run at once (`concurrency`, default 8) and waiting their turn (`queue`, default 100);
   * past that a write answers 429 with `Retry-After`, having done nothing. */
  writes?: { concurrency?: number; queue?: number };
}

/** The caller's name for the audit trail: the `actor` resolver's answer, else `'api'`. */
export async function resolveActor(options: JobsApiOptions, req: Request): Promise<string> {
  const actor = await options.actor?.(req);
  return typeof actor === 'string' && actor.length > 0 ? actor.slice(0, 200) : 'api';
}

/** The caller's rights as booleans, for the API (`GET /me`) and the dashboard. */
export function expandAccess(access: JobsAccess): Record<JobsAction | 'read', boolean> {
  const all = (value: boolean) =>
    Object.fromEntries(JOBS_ACTIONS.map((a) => [a, value])) as Record<JobsAction, boolean>;
  if (access === 'full') return { read: true, ...all(true) };
  if (access === 'read-only') return { read: true, ...all(false) };
  return { read: true, ...all(false), ...Object.fromEntries(Object.entries(access).map(([k, v]) => [k, v === true])) };
}
