import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { JobsRegistry } from '../core/handler-registry';
import type { ResolvedJobsOptions } from '../core/module-options';
import { validatePayload } from '../core/payload-validation';
import { cadenceOf, patchDefinition, toScheduleRow } from '../core/schedule-input';
import { InvalidJobOptionsError, JobNotFoundError, ScheduleConflictError, ScheduleNotFoundError } from '../errors';
import type { Job, Schedule, ScheduleDefinition, ScheduleRun } from '../interfaces';
import { JOBS_NODE_ID, JOBS_RESOLVED_OPTIONS, JOBS_STORAGE } from '../jobs.constants';
import { withDatabaseErrors } from '../storage/database-errors';
import type { JobsStorage } from '../storage/jobs-storage';
import { JobsRunner } from './jobs-runner';
import { JobsService } from './jobs.service';
import { reconcileCodeSchedules } from './schedule-reconciler';

const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Most schedules one page holds. */
export const MAX_SCHEDULES_PAGE = 500;
/** Most history rows one call returns. */
export const MAX_SCHEDULE_RUNS_PAGE = 200;

/**
 * Recurring jobs: schedules stored in PostgreSQL, each tick enqueued exactly once across the
 * cluster by whichever node is free. Schedules declared with `@JobHandler(type, { schedule })` are
 * reconciled at start-up; this service manages them at run time (define, change, pause, run now,
 * history). `actor` options are recorded as who changed or paused a schedule.
 */
@Injectable()
export class JobSchedulesService implements OnApplicationBootstrap {
  constructor(
    @Inject(JOBS_STORAGE) private readonly storage: JobsStorage,
    @Inject(JOBS_RESOLVED_OPTIONS) private readonly options: ResolvedJobsOptions,
    @Inject(JOBS_NODE_ID) private readonly nodeId: string,
    private readonly registry: JobsRegistry,
    private readonly jobs: JobsService,
    @Optional() private readonly runner?: JobsRunner,
  ) {}

  /** Writes the code's schedules before the workers start. */
  async onApplicationBootstrap(): Promise<void> {
    await reconcileCodeSchedules(this.storage, this.registry, this.options, this.nodeId, new Logger('Jobs'));
    this.runner?.wakeScheduler();
  }

  /** Schedules by name: all of them, or a page of `limit` (1-500) after the name `after`. */
  async list(options: { limit?: number; after?: string } = {}): Promise<Schedule[]> {
    const { limit, after = '' } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCHEDULES_PAGE)) {
      throw new InvalidJobOptionsError('limit', `must be an integer from 1 to ${MAX_SCHEDULES_PAGE}`);
    }
    if (typeof after !== 'string' || after.length > 128) {
      throw new InvalidJobOptionsError('cursor', 'must be a schedule name');
    }
    return this.storage.schedules.list(after, limit ?? null);
  }

  /** The schedule, or null. */
  async get(name: string): Promise<Schedule | null> {
    return typeof name === 'string' && NAME.test(name) ? this.storage.schedules.get(name) : null;
  }

  async getOrFail(name: string): Promise<Schedule> {
    const schedule = await this.get(name);
    if (!schedule) throw new ScheduleNotFoundError(String(name));
    return schedule;
  }

  /** Adds a schedule; its first tick is the first after now. `ScheduleConflictError` if the name is
   * taken; `InvalidJobOptionsError` naming the field for a bad definition (nothing is written). */
  async create(definition: ScheduleDefinition, options: { actor?: string } = {}): Promise<Schedule> {
    const row = toScheduleRow(definition, this.registry, this.options);
    await validatePayload(this.registry, row.type, definition.payload === undefined ? {} : definition.payload);
    const max = this.options.maxSchedules;
    if ((await this.storage.schedules.count()) >= max) {
      throw new ScheduleConflictError(row.name, `${max} schedules exist, the most allowed (maxSchedules)`);
    }
    const created = await withDatabaseErrors('create a schedule', () =>
      this.storage.schedules.create(row, options.actor ?? null),
    );
    if (!created) throw new ScheduleConflictError(row.name, 'a schedule of that name exists');
    this.runner?.wakeScheduler();
    return this.getOrFail(row.name);
  }

  /**
   * Changes a run-time schedule: the fields given replace the current ones (`cron` replaces an
   * interval and the other way round). A changed cadence starts at its first tick after now; other
   * changes apply from the next tick on. Code schedules are changed in code.
   */
  async update(name: string, patch: Partial<ScheduleDefinition>, options: { actor?: string } = {}): Promise<Schedule> {
    const current = await this.getOrFail(name);
    this.refuseCode(current, 'changed');
    const merged = patchDefinition(definitionOf(current), patch);
    const row = toScheduleRow(merged, this.registry, this.options);
    await validatePayload(this.registry, row.type, merged.payload === undefined ? {} : merged.payload);
    if (!(await this.storage.schedules.update(row, options.actor ?? null))) throw new ScheduleNotFoundError(name);
    this.runner?.wakeScheduler();
    return this.getOrFail(name);
  }

  /** Deletes a run-time schedule, or a code schedule no node declares any more, with its history.
   * Jobs it enqueued are left alone. */
  async remove(name: string): Promise<void> {
    const current = await this.getOrFail(name);
    this.refuseCode(current, 'deleted');
    if (!(await this.storage.schedules.remove(name))) throw new ScheduleNotFoundError(name);
  }

  /** Stops firing until `resume`; the ticks in between are not caught up. */
  async pause(name: string, options: { actor?: string } = {}): Promise<Schedule> {
    if (!(await this.get(name)) || !(await this.storage.schedules.pause(name, options.actor ?? null))) {
      throw new ScheduleNotFoundError(String(name));
    }
    return this.getOrFail(name);
  }

  /** Fires again from the first tick after now. */
  async resume(name: string): Promise<Schedule> {
    const current = await this.getOrFail(name);
    const next = cadenceOf(definitionOf(current)).next(new Date());
    if (!(await this.storage.schedules.resume(name, next))) throw new ScheduleNotFoundError(name);
    this.runner?.wakeScheduler();
    return this.getOrFail(name);
  }

  /** Enqueues one job of the schedule now, outside its cadence (recorded as a `manual` run). */
  async runNow(name: string, options: { actor?: string } = {}): Promise<Job> {
    const s = await this.getOrFail(name);
    const job = {
      queue: s.queue,
      type: s.type,
      payload: s.payload,
      payloadJson: JSON.stringify(s.payload),
      priority: s.priority,
      maxAttempts: s.maxAttempts,
      runAt: null,
      delayMs: null,
      idempotencyKey: null,
    };
    const id = await withDatabaseErrors('run a schedule', () =>
      this.jobs.withRoom(s.queue, () => this.storage.schedules.runNow(name, job, options.actor ?? null)),
    );
    if (id === null) throw new ScheduleNotFoundError(name);
    this.runner?.wake(s.queue);
    const inserted = await this.storage.jobs.find(id);
    if (!inserted) throw new JobNotFoundError(id);
    return inserted;
  }

  /** Run history, newest first: `limit` 1-200 (default 50), ticks before `before`. */
  async runs(name: string, options: { limit?: number; before?: Date } = {}): Promise<ScheduleRun[]> {
    await this.getOrFail(name);
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCHEDULE_RUNS_PAGE) {
      throw new InvalidJobOptionsError('limit', `must be an integer from 1 to ${MAX_SCHEDULE_RUNS_PAGE}`);
    }
    if (options.before !== undefined && !(options.before instanceof Date && !Number.isNaN(options.before.getTime()))) {
      throw new InvalidJobOptionsError('before', 'must be a valid date');
    }
    return this.storage.schedules.runs(name, limit, options.before ?? null);
  }

  private refuseCode(schedule: Schedule, what: string): void {
    if (schedule.source === 'code' && !schedule.removedFromCode) {
      throw new ScheduleConflictError(
        schedule.name,
        `is declared in code (@JobHandler('${schedule.type}')): it is ${what} there, not at run time`,
      );
    }
  }
}

/** A stored schedule as the definition it came from. */
function definitionOf(s: Schedule): ScheduleDefinition {
  return {
    name: s.name,
    type: s.type,
    ...(s.cron !== null ? { cron: s.cron, timeZone: s.timeZone } : { intervalMs: s.intervalMs ?? undefined }),
    payload: s.payload,
    queue: s.queue,
    priority: s.priority,
    maxAttempts: s.maxAttempts,
    missed: s.missed,
    maxCatchUp: s.maxCatchUp,
    overlap: s.overlap,
    jitterMs: s.jitterMs,
  };
}
