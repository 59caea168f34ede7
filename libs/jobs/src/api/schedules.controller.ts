import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { Request } from 'express';
import { parseIsoTime } from '../core/iso-time';
import { checkFields, SCHEDULE_FIELDS } from '../core/schedule-input';
import { InvalidJobOptionsError } from '../errors';
import type { Job, Schedule, ScheduleDefinition, ScheduleRun } from '../interfaces';
import { JobSchedulesService, MAX_SCHEDULES_PAGE } from '../services/job-schedules.service';
import { JOBS_API_OPTIONS, JobsAccessGuard, RequiresJobsAction, resolveActor, type JobsApiOptions } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';
import { JobsJsonBodyGuard } from './json-body.guard';
import { JobsWriteLimiter } from './write-limiter';

/** Recurring jobs. Reads are open to every caller; writes need the `schedule` right. */
/** Schedules per page unless `limit` says otherwise. */
const DEFAULT_SCHEDULES_PAGE = 100;

@Controller('schedules')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard, JobsJsonBodyGuard)
@UseInterceptors(JobsWriteLimiter)
export class SchedulesController {
  constructor(
    private readonly schedules: JobSchedulesService,
    @Inject(JOBS_API_OPTIONS) private readonly options: JobsApiOptions,
  ) {}

  /** `?limit=100` (1-500) and `&cursor=<nextCursor>` for the next page, by name. */
  @Get()
  async list(
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ): Promise<{ items: Schedule[]; nextCursor: string | null }> {
    if (limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(limit)) {
      throw new InvalidJobOptionsError('limit', `must be an integer from 1 to ${MAX_SCHEDULES_PAGE}`);
    }
    const n = limit === undefined ? DEFAULT_SCHEDULES_PAGE : Number(limit);
    const items = await this.schedules.list({ limit: n, after: cursor });
    return { items, nextCursor: items.length === n ? items[items.length - 1].name : null };
  }

  /** 201 with the schedule; 400 naming the field; 409 when the name is taken. */
  @Post()
  @RequiresJobsAction('schedule')
  async create(@Body() body: unknown, @Req() req: Request): Promise<Schedule> {
    const definition = checkFields(body, SCHEDULE_FIELDS) as unknown as ScheduleDefinition;
    return this.schedules.create(definition, { actor: await resolveActor(this.options, req) });
  }

  @Get(':name')
  async get(@Param('name') name: string): Promise<Schedule> {
    return this.schedules.getOrFail(name);
  }

  /** The fields given replace the current ones; 409 for a schedule declared in code. */
  @Patch(':name')
  @RequiresJobsAction('schedule')
  async update(@Param('name') name: string, @Body() body: unknown, @Req() req: Request): Promise<Schedule> {
    return this.schedules.update(name, body as Partial<ScheduleDefinition>, {
      actor: await resolveActor(this.options, req),
    });
  }

  @Delete(':name')
  @RequiresJobsAction('schedule')
  @HttpCode(200)
  async remove(@Param('name') name: string): Promise<{ name: string; deleted: true }> {
    await this.schedules.remove(name);
    return { name, deleted: true };
  }

  @Post(':name/pause')
  @RequiresJobsAction('schedule')
  @HttpCode(200)
  async pause(@Param('name') name: string, @Req() req: Request): Promise<Schedule> {
    return this.schedules.pause(name, { actor: await resolveActor(this.options, req) });
  }

  @Post(':name/resume')
  @RequiresJobsAction('schedule')
  @HttpCode(200)
  async resume(@Param('name') name: string): Promise<Schedule> {
    return this.schedules.resume(name);
  }

  /** Enqueues one job now, outside the cadence: 201 with the job. */
  @Post(':name/run')
  @RequiresJobsAction('schedule')
  async run(@Param('name') name: string, @Req() req: Request): Promise<Job> {
    return this.schedules.runNow(name, { actor: await resolveActor(this.options, req) });
  }

  /** `?limit=50` (1-200), `&before=<ISO tick>` for the next page: newest first. */
  @Get(':name/runs')
  async runs(
    @Param('name') name: string,
    @Query('limit') limit?: string,
    @Query('before') before?: string,
  ): Promise<{ items: ScheduleRun[]; nextCursor: string | null }> {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n)) throw new InvalidJobOptionsError('limit', 'must be an integer from 1 to 200');
    const from = before === undefined ? undefined : parseIsoTime('before', before);
    const items = await this.schedules.runs(name, { limit: n, before: from });
    return { items, nextCursor: items.length === n ? items[items.length - 1].occurrence.toISOString() : null };
  }
}
