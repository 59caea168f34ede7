import { Body, Controller, Get, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { JobNotFoundError } from '../errors';
import type { Job, JobWithAttempts } from '../interfaces';
import { JobsService } from '../jobs.service';
import { JobsExceptionFilter } from './jobs-exception.filter';
import { parseEnqueueBody } from './parse-enqueue-body';

/** REST access to jobs. Mounted under `jobs` by `JobsApiModule` (the server puts it under `/api`). */
@Controller('jobs')
@UseFilters(JobsExceptionFilter)
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  async create(@Body() body: unknown): Promise<Job> {
    const { type, payload, ...options } = parseEnqueueBody(body);
    return this.jobs.enqueue(type, payload, options);
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<JobWithAttempts> {
    const job = await this.jobs.get(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id') id: string): Promise<Job> {
    return this.jobs.cancel(id);
  }

  @Post(':id/replay')
  @HttpCode(200)
  async replay(@Param('id') id: string, @Body() body: unknown): Promise<Job> {
    const payload = typeof body === 'object' && body !== null ? (body as { payload?: unknown }).payload : undefined;
    return this.jobs.replay(id, { payload });
  }
}
