import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { JobsTester } from './jobs-tester';

/**
 * Makes `JobsTester` injectable: import it next to the modules under test
 * (`Test.createTestingModule({ imports: [AppModule, JobsTestingModule] })`), then
 * `app.get(JobsTester)`. It finds the application's `JobsModule` wherever it is imported.
 */
@Module({
  providers: [{ provide: JobsTester, inject: [ModuleRef], useFactory: (ref: ModuleRef) => new JobsTester(ref) }],
  exports: [JobsTester],
})
export class JobsTestingModule {}
