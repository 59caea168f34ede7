/*
 * What the README's TypeScript samples use without defining it: the application's own classes and
 * values, declared here so that `scripts/check-package.mjs` can typecheck the samples, as written,
 * against the installed package (scripts/readme-samples.mjs).
 */
import type { Logger } from '@nestjs/common';
import type { JobsService } from 'nest-pg-jobs';
import type { DataSource } from 'typeorm';

declare global {
  /** The application's mailer. */
  class Mailer {
    send(to: string, subject: string, options?: { signal?: AbortSignal; idempotencyKey?: string }): Promise<void>;
  }
  /** The application's database access. */
  class Db {
    query<T>(sql: string, params?: unknown[]): Promise<T[]>;
    loadTemplate(name: string): Promise<Template>;
  }
  interface Template {
    render(data: unknown): string;
  }
  interface Customer {
    id: string;
    email: string;
  }
  /** A TypeORM entity of the application. */
  class Order {
    id: number;
    customerId: number;
    total: number;
  }
  /** The handler of the README's first sample, used by the worker-only one. */
  class WelcomeEmailHandler {
    handle(): Promise<void>;
  }
  const jobs: JobsService;
  const dataSource: DataSource;
  const logger: Logger;
  const orderId: number;
  const customerId: number;
  const total: number;
}

export {};
