import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { JobsRunner } from '@app/jobs';

/** Liveness and readiness: the database answers and the workers run. */
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly runner: JobsRunner,
  ) {}

  @Get()
  async health(): Promise<{ status: string; database: string; worker: string; running: number }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch (err) {
      throw new HttpException(
        { status: 'error', database: 'down', error: (err as Error).message },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    return { status: 'ok', database: 'up', worker: this.runner.workerId, running: this.runner.runningCount() };
  }
}
