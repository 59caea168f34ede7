import { Controller, type Provider, type Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { JobsAccessGuard } from './access';
import { ChangeFeedHub } from './change-feed.hub';
import { ChangesController } from './changes.controller';
import { JobsController } from './jobs.controller';
import { JobsJsonBodyGuard } from './json-body.guard';
import { MeController } from './me.controller';
import { NodesController } from './nodes.controller';
import { OperatorsController } from './operators.controller';
import { QueuesController } from './queues.controller';
import { SchedulesController } from './schedules.controller';
import { StatsController } from './stats.controller';
import { JobsWriteLimiter } from './write-limiter';

/** The controllers of the admin REST API, each at its own path (`jobs`, `queues`, …). */
export const JOBS_API_CONTROLLERS: Type[] = [
  JobsController,
  MeController,
  QueuesController,
  NodesController,
  StatsController,
  ChangesController,
  SchedulesController,
  OperatorsController,
];

/** What the API's controllers need beside `JOBS_API_OPTIONS`, in whichever module mounts them. */
export const JOBS_API_PROVIDERS: Provider[] = [JobsAccessGuard, JobsJsonBodyGuard, JobsWriteLimiter, ChangeFeedHub];

/**
 * The API's controllers under `prefix` (`admin/jobs/api` serves `admin/jobs/api/jobs`, …): a subclass
 * of each with the prefixed path, so that routes, guards, filters and injections are the original's
 * and the host's global prefix and `RouterModule` paths still apply on top. An empty prefix gives
 * the originals.
 */
export function apiControllersAt(prefix: string): Type[] {
  const base = prefix.replace(/^\/+|\/+$/g, '');
  if (base === '') return JOBS_API_CONTROLLERS;
  return JOBS_API_CONTROLLERS.map((original) => {
    const path = String(Reflect.getMetadata(PATH_METADATA, original) ?? '').replace(/^\/+|\/+$/g, '');
    const mounted = class extends original {};
    Object.defineProperty(mounted, 'name', { value: original.name });
    Controller(path === '' ? base : `${base}/${path}`)(mounted);
    return mounted;
  });
}
