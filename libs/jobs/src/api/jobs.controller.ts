import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request } from 'express';
import { InvalidJobOptionsError, JobNotFoundError } from '../errors';
import type { EnqueuedJob, Job, JobBulkSelection, JobDetail, JobListPage, JobListQuery } from '../interfaces';
import { JobsAdminService } from '../services/jobs-admin.service';
import { JobsOperatorsService } from '../services/jobs-operators.service';
import { JobsService } from '../services/jobs.service';
import { JOBS_API_OPTIONS, JobsAccessGuard, RequiresJobsAction, resolveActor, type JobsApiOptions } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';
import { JobsJsonBodyGuard } from './json-body.guard';
import { JobsWriteLimiter } from './write-limiter';
import { parseEnqueueBody } from './parse-enqueue-body';

/** REST access to jobs. Mounted under `jobs` by `JobsApiModule` (the server puts it under `/api`). */
@Controller('jobs')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard, JobsJsonBodyGuard)
@UseInterceptors(JobsWriteLimiter)
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly admin: JobsAdminService,
    private readonly operators: JobsOperatorsService,
    @Inject(JOBS_API_OPTIONS) private readonly options: JobsApiOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** 201 with the new job, or 200 with the job already holding the `idempotencyKey`; the
   * `Idempotent-Replayed` header says which. 429 with `Retry-After` when the queue is full. */
  @Post()
  @RequiresJobsAction('enqueue')
  async create(
    @Body() body: unknown,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<EnqueuedJob & { warning?: string }> {
    const { type, payload, ...options } = parseEnqueueBody(body);
    const job = await this.jobs.enqueue(type, payload, options);
    // Through the platform's adapter (Express or Fastify): nothing may throw once the job is committed.
    const http = this.adapterHost.httpAdapter;
    http.status(res, job.created ? HttpStatus.CREATED : HttpStatus.OK);
    http.setHeader(res, 'Idempotent-Replayed', String(!job.created));
    const warning = job.state === 'running' ? undefined : await this.operators.noWorkersWarning(job.queue);
    return warning === undefined ? job : { ...job, warning };
  }

  /** Newest first, filtered; `nextCursor` continues (keyset on id). 400 with `field` for a bad filter. */
  @Get()
  async list(@Query() query: JobListQuery): Promise<JobListPage> {
    return this.admin.list(query);
  }

  /** Bulk replay of the `failed` / `canceled` jobs among `{ ids }` or `{ filter }`. */
  @Post('replay')
  @RequiresJobsAction('replay')
  @HttpCode(200)
  async replayMany(@Body() body: JobBulkSelection, @Req() req: Request): Promise<{ affected: number }> {
    return this.admin.replayMany(body, { actor: await resolveActor(this.options, req) });
  }

  /** Bulk cancel of the `pending` / `scheduled` / `running` jobs among `{ ids }` or `{ filter }`. */
  @Post('cancel')
  @RequiresJobsAction('cancel')
  @HttpCode(200)
  async cancelMany(@Body() body: JobBulkSelection, @Req() req: Request): Promise<{ affected: number }> {
    return this.admin.cancelMany(body, { actor: await resolveActor(this.options, req) });
  }

  /** Bulk delete of the finished jobs among `{ ids }` or `{ filter }`, with their history. */
  @Post('delete')
  @RequiresJobsAction('delete')
  @HttpCode(200)
  async deleteMany(@Body() body: JobBulkSelection, @Req() req: Request): Promise<{ affected: number }> {
    return this.admin.deleteMany(body, { actor: await resolveActor(this.options, req) });
  }

  /** Deletes jobs of one finished state older than `olderThanMs`, in bounded batches. */
  @Post('clean')
  @RequiresJobsAction('delete')
  @HttpCode(200)
  async clean(@Body() body: unknown, @Req() req: Request): Promise<{ deleted: number }> {
    return this.operators.clean(body, { actor: await resolveActor(this.options, req) });
  }

  /** The job with its attempts and timeline; `?full=1` sends a huge payload whole. */
  @Get(':id')
  async get(@Param('id') id: string, @Query('full') full?: string): Promise<JobDetail> {
    const job = await this.admin.detail(id, { full: full === '1' || full === 'true' });
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  @Post(':id/cancel')
  @RequiresJobsAction('cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string, @Req() req: Request): Promise<Job> {
    return this.jobs.cancel(id, { actor: await resolveActor(this.options, req) });
  }

  /** A scheduled job (delayed or waiting to retry) runs now; 409 otherwise. */
  @Post(':id/run-now')
  @RequiresJobsAction('replay')
  @HttpCode(200)
  async runNow(@Param('id') id: string, @Req() req: Request): Promise<Job> {
    return this.operators.runNow(id, { actor: await resolveActor(this.options, req) });
  }

  /** Deletes a finished job with its history; 409 for a job that has not finished. */
  @Delete(':id')
  @RequiresJobsAction('delete')
  async delete(@Param('id') id: string, @Req() req: Request): Promise<{ id: string; deleted: true }> {
    return this.operators.delete(id, { actor: await resolveActor(this.options, req) });
  }

  @Post(':id/replay')
  @RequiresJobsAction('replay')
  @HttpCode(200)
  async replay(@Param('id') id: string, @Body() body: unknown, @Req() req: Request): Promise<Job> {
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new InvalidJobOptionsError('body', 'must be a JSON object');
    }
    const unknownKey = Object.keys(body ?? {}).find((key) => key !== 'payload');
    if (unknownKey !== undefined) throw new InvalidJobOptionsError(unknownKey, 'is not a known field (known: payload)');
    const payload = (body as { payload?: unknown } | undefined)?.payload;
    return this.jobs.replay(id, { payload, actor: await resolveActor(this.options, req) });
  }
}
