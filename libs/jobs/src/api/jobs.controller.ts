import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { JobNotFoundError } from '../errors';
import type { EnqueuedJob, Job, JobWithAttempts } from '../interfaces';
import { JobsService } from '../jobs.service';
import { JobsAccessGuard, RequiresJobsAction } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';
import { parseEnqueueBody } from './parse-enqueue-body';

/** REST access to jobs. Mounted under `jobs` by `JobsApiModule` (the server puts it under `/api`). */
@Controller('jobs')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard)
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  /** 201 with the new job, or 200 with the job already holding the `idempotencyKey`; the
   * `Idempotent-Replayed` header says which. 429 with `Retry-After` when the queue is full. */
  @Post()
  @RequiresJobsAction('enqueue')
  async create(@Body() body: unknown, @Res({ passthrough: true }) res: Response): Promise<EnqueuedJob> {
    const { type, payload, ...options } = parseEnqueueBody(body);
    const job = await this.jobs.enqueue(type, payload, options);
    res.status(job.created ? HttpStatus.CREATED : HttpStatus.OK);
    res.setHeader('Idempotent-Replayed', String(!job.created));
    return job;
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<JobWithAttempts> {
    const job = await this.jobs.get(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  @Post(':id/cancel')
  @RequiresJobsAction('cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string): Promise<Job> {
    return this.jobs.cancel(id);
  }

  @Post(':id/replay')
  @RequiresJobsAction('replay')
  @HttpCode(200)
  async replay(@Param('id') id: string, @Body() body: unknown): Promise<Job> {
    const payload = typeof body === 'object' && body !== null ? (body as { payload?: unknown }).payload : undefined;
    return this.jobs.replay(id, { payload });
  }
}
