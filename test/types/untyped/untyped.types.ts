/*
 * Type tests without declared job types (compiled by `npm test`, never run): any string is a job
 * type, and the payload is the `T` given to, or inferred by, enqueue. Each `@ts-expect-error` line
 * must fail to compile, or the build fails.
 */
import { Injectable } from '@nestjs/common';
import { JobHandler, JobsService, type EnqueuedJob, type Job, type JobContext } from 'nest-pg-jobs';
import type { JobsTester } from 'nest-pg-jobs/testing';

interface WelcomeEmail {
  userId: number;
  to: string;
}

export async function enqueueAnything(jobs: JobsService, dynamicType: string): Promise<void> {
  // An explicit payload type, as applications wrote it before job types could be declared.
  const explicit: EnqueuedJob<WelcomeEmail> = await jobs.enqueue<WelcomeEmail>('welcome-email', {
    userId: 1,
    to: 'a@b',
  });
  // @ts-expect-error the explicit payload type is checked
  await jobs.enqueue<WelcomeEmail>('welcome-email', { userId: 1 });

  // An inferred one.
  const inferred = await jobs.enqueue('report', { rows: 3 });
  const rows: number = inferred.payload.rows;
  // @ts-expect-error the inferred payload has no such field
  void inferred.payload.columns;

  // Any string is a type.
  await jobs.enqueue(dynamicType, null, { queue: 'q', delayMs: 10 });
  // @ts-expect-error call options are still checked
  await jobs.enqueue(dynamicType, {}, { delayMs: 'soon' });

  const many = await jobs.enqueueMany([
    { type: 'a', payload: 1 },
    { type: dynamicType, payload: 2, queue: 'q' },
  ]);
  const first: number = many[0].payload;
  // @ts-expect-error items need a payload
  await jobs.enqueueMany([{ type: 'a' }]);
  void [explicit, rows, first];
}

@Injectable()
@JobHandler('welcome-email', { queue: 'emails' })
export class WelcomeEmailHandler {
  async handle(job: Job<WelcomeEmail>, ctx: JobContext): Promise<void> {
    void [job.payload.to, ctx.signal];
  }
}

const someType: string = 'dynamic';

@JobHandler(someType)
export class DynamicHandler {
  handle(): void {}
}

// Without declared types, @JobHandler is a plain class decorator.
export const decorator: ClassDecorator = JobHandler('x');

export async function testAnything(tester: JobsTester): Promise<void> {
  // Without declared types, any type and any match; payloads are unknown until narrowed.
  const [job] = await tester.assertEnqueued('anything', { deep: { part: 1 } }, { count: 1 });
  // @ts-expect-error the payload is unknown
  void job.payload.deep;
  await tester.drain({ type: ['a', 'b'], queue: 'q', timeoutMs: 1_000, runScheduled: false });
  // @ts-expect-error options are checked
  await tester.drain({ timeoutMs: 'long' });
}
