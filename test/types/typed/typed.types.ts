/*
 * Type tests with declared job types (compiled by `npm test`, never run): `JobTypes` is filled by
 * declaration merging, as an application does it, and then enqueue, enqueueMany and @JobHandler
 * refuse unknown types and payloads of the wrong shape. Each `@ts-expect-error` line must fail to
 * compile, or the build fails.
 */
import { Injectable } from '@nestjs/common';
import { JobHandler, JobsService, type Job, type JobContext, type JobType } from 'nest-pg-jobs';
import type { JobsTester } from 'nest-pg-jobs/testing';

declare module 'nest-pg-jobs' {
  interface JobTypes {
    'welcome-email': { userId: number; to: string };
    invoice: { invoiceId: string };
  }
}

export async function enqueueDeclared(jobs: JobsService, someString: string): Promise<void> {
  const job = await jobs.enqueue('welcome-email', { userId: 1, to: 'ada@example.com' }, { delayMs: 5_000 });
  const to: string = job.payload.to;
  // @ts-expect-error the payload of 'welcome-email' has no field `wrong`
  await jobs.enqueue('welcome-email', { wrong: 1 });
  // @ts-expect-error the payload misses `to`
  await jobs.enqueue('welcome-email', { userId: 1 });
  // @ts-expect-error a typo in the type
  await jobs.enqueue('welcome-emial', { userId: 1, to: 'a' });
  // @ts-expect-error a string that is not a declared type
  await jobs.enqueue(someString, { userId: 1, to: 'a' });
  // @ts-expect-error the payload of another type
  await jobs.enqueue('invoice', { userId: 1, to: 'a' });

  const many = await jobs.enqueueMany([
    { type: 'welcome-email', payload: { userId: 2, to: 'b' } },
    { type: 'invoice', payload: { invoiceId: 'inv-1' }, priority: 5 },
  ]);
  void many[0].id;
  await jobs.enqueueMany([
    // @ts-expect-error an item whose payload belongs to another type
    { type: 'invoice', payload: { userId: 1, to: 'a' } },
  ]);
  await jobs.enqueueMany([
    // @ts-expect-error an item of an unknown type
    { type: 'refund', payload: {} },
  ]);

  const types: JobType[] = ['welcome-email', 'invoice'];
  // @ts-expect-error JobType is the union of the declared names
  const wrong: JobType = 'refund';
  void [to, types, wrong];
}

class Mailer {
  send(to: string): string {
    return to;
  }
}

@Injectable()
@JobHandler('welcome-email', { queue: 'emails' })
export class WelcomeEmailHandler {
  constructor(private readonly mailer: Mailer) {}

  async handle(job: Job<{ userId: number; to: string }>, ctx: JobContext): Promise<void> {
    void [this.mailer.send(job.payload.to), ctx.signal];
  }
}

// A handler that reads less of the payload than it gets is fine.
@JobHandler('welcome-email')
export class UserIdOnlyHandler {
  handle(job: Job<{ userId: number }>): number {
    return job.payload.userId;
  }
}

// @ts-expect-error the handler expects another type's payload
@JobHandler('welcome-email')
export class WrongPayloadHandler {
  handle(job: Job<{ invoiceId: string }>): string {
    return job.payload.invoiceId;
  }
}

// @ts-expect-error a typo in the type
@JobHandler('invoce')
export class TypoHandler {
  handle(): void {}
}

export async function testDeclared(tester: JobsTester): Promise<void> {
  const [job] = await tester.assertEnqueued('welcome-email', { to: 'ada@example.com' });
  const userId: number = job.payload.userId;
  // @ts-expect-error the match is a part of the payload of that type
  await tester.assertEnqueued('welcome-email', { invoiceId: 'x' });
  // @ts-expect-error a typo in the type
  await tester.assertEnqueued('welcome-emial');
  await tester.assertEnqueued('invoice', (payload) => payload.invoiceId.startsWith('inv-'));
  const outcomes = await tester.drain({ type: ['welcome-email'] });
  const to: string = outcomes[0].payload.to;
  // @ts-expect-error drain filters by declared types
  await tester.drain({ type: 'refund' });
  void [userId, to];
}
