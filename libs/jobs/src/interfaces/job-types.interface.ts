import type { EnqueueOptions, Job, JobContext } from './job.interface';

/**
 * The application's job types and their payloads, for checks at compile time. Empty here: any string
 * is a job type, and a payload is whatever `enqueue<T>()` is given. An application opts in by
 * declaring its types, once, anywhere in its sources:
 *
 * ```ts
 * declare module 'nest-pg-jobs' {
 *   interface JobTypes {
 *     'welcome-email': { userId: number; to: string };
 *   }
 * }
 * ```
 *
 * Then `enqueue`, `enqueueMany` and `@JobHandler` refuse unknown types and payloads of the wrong shape.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface JobTypes {}

/** Whether the application declared its job types (`JobTypes` has entries). */
export type JobTypesDeclared = keyof JobTypes extends never ? false : true;

/** A job type name: one declared in `JobTypes`, or any string when none are. */
export type JobType = JobTypesDeclared extends true ? Extract<keyof JobTypes, string> : string;

/** The payload of type `K`: as declared in `JobTypes`, else `Fallback` (what `enqueue<T>()` was given). */
export type JobPayload<K extends string, Fallback = unknown> = K extends keyof JobTypes ? JobTypes[K] : Fallback;

/** One item of `enqueueMany`: with declared job types, each item's payload matches its type. */
export type TypedEnqueueItem<T = unknown> = JobTypesDeclared extends true
  ? { [K in keyof JobTypes]: EnqueueOptions & { type: K; payload: JobTypes[K] } }[keyof JobTypes]
  : EnqueueOptions & { type: string; payload: T };

/** What `@JobHandler(type)` returns: with declared job types, a decorator only for classes whose
 * `handle` takes that type's jobs; otherwise a plain class decorator (the module checks `handle` when
 * it starts). */
export type JobHandlerDecorator<K extends string> = JobTypesDeclared extends true
  ? <C extends abstract new (...args: never) => TypedHandler<JobPayload<K>>>(target: C) => void
  : ClassDecorator;

/** A handler of jobs with payload `P`; `handle` is a property here so that its parameter is checked
 * strictly (a handler expecting another payload does not fit). */
interface TypedHandler<P> {
  handle: (job: Job<P>, ctx: JobContext) => unknown;
}
