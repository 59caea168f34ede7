import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsApiModule, JobsModule } from '@app/jobs';
import { EmailHandler } from './handlers/email.handler';
import { SimulateHandler } from './handlers/simulate.handler';
import { HealthController } from './health.controller';

export interface AppOptions {
  databaseUrl: string;
  concurrency?: number;
  schema?: string;
  shutdownGracePeriodMs?: number;
}

/** The runnable service: jobs on the given database, the REST API under /api, health. */
@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: options.databaseUrl, extra: { max: 20 } }),
        JobsModule.forRoot({
          isGlobal: true,
          migrationsRun: true,
          schema: options.schema,
          concurrency: options.concurrency,
          shutdownGracePeriodMs: options.shutdownGracePeriodMs,
        }),
        JobsApiModule,
        RouterModule.register([{ path: 'api', module: JobsApiModule }]),
      ],
      controllers: [HealthController],
      providers: [EmailHandler, SimulateHandler],
    };
  }
}
