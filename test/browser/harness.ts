import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Cluster, type ServerNode } from '../support/cluster';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from '../support/database';
import { waitFor } from '../support/wait';
import { ensureDashboardBuilt, launchChromium, screenshot } from './support';

export interface JobJson {
  id: string;
  state: string;
  queue: string;
  type: string;
  attempts: number;
  runAt: string;
  replays: number;
  payload: unknown;
}

/**
 * A cluster of real server processes, one Chromium page, and helpers to read outcomes back from the
 * API and the database. A test wrapped in `track` fails on any error the page threw or logged.
 */
export class BrowserHarness {
  readonly pool = assertionPool();
  readonly schema: string;
  cluster!: Cluster;
  node!: ServerNode;
  browser!: Browser;
  context!: BrowserContext;
  page!: Page;
  readonly pageErrors: string[] = [];
  /** Responses of 400 and more the pages received (a favicon 404, an API error). */
  readonly failedResponses: string[] = [];
  private failed = false;

  constructor(private readonly name: string) {
    this.schema = uniqueSchema(name);
  }

  async start(nodes: Array<Record<string, string>>, env: Record<string, string> = {}): Promise<void> {
    ensureDashboardBuilt();
    this.cluster = new Cluster({
      name: this.name,
      databaseUrl: databaseUrl(),
      schema: this.schema,
      env: { JOBS_POLL_INTERVAL_MS: '100', ...env },
    });
    for (const nodeEnv of nodes) {
      const node = await this.cluster.start(nodeEnv);
      this.node ??= node;
    }
    this.browser = await launchChromium();
    this.context = await this.browser.newContext({ viewport: { width: 1366, height: 860 }, colorScheme: 'light' });
    await this.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: this.node.url });
    this.page = await this.newPage();
  }

  async newPage(): Promise<Page> {
    const p = await this.context.newPage();
    p.on('pageerror', (err) => this.pageErrors.push(err.message));
    p.on('console', (msg) => {
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) this.pageErrors.push(msg.text());
    });
    p.on('response', (res) => {
      if (res.status() >= 400) this.failedResponses.push(`${res.status()} ${new URL(res.url()).pathname}`);
    });
    return p;
  }

  async stop(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    await this.cluster?.dispose({ keepArtifacts: this.failed });
    await dropSchema(this.pool, this.schema).catch(() => undefined);
    await this.pool.end();
  }

  track(fn: () => Promise<void>): () => Promise<void> {
    return async () => {
      try {
        await fn();
        assert.deepEqual(this.pageErrors, [], 'the page threw or logged errors');
      } catch (err) {
        this.failed = true;
        await screenshot(this.page, `failure-${this.name}-${Date.now()}`).catch(() => undefined);
        throw err;
      }
    };
  }

  get url(): string {
    return this.node.url;
  }

  async api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  async getJob(id: string): Promise<JobJson> {
    const { status, body } = await this.api<JobJson>(`/api/jobs/${id}`);
    assert.equal(status, 200, `job ${id} exists`);
    return body;
  }

  async waitForState(id: string, state: string, timeoutMs = 15_000): Promise<JobJson> {
    return waitFor(
      async () => {
        const job = await this.getJob(id);
        return job.state === state ? job : undefined;
      },
      { timeoutMs, intervalMs: 100, message: `job ${id} to be ${state}` },
    );
  }

  /** Enqueues `count` jobs, 25 requests at a time; returns their ids in order. */
  async enqueueMany(
    count: number,
    make: (i: number) => [string, unknown, Record<string, unknown>?],
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let start = 0; start < count; start += 25) {
      const batch = [];
      for (let i = start; i < Math.min(count, start + 25); i += 1) {
        const [type, payload, options] = make(i);
        batch.push(this.node.enqueue(type, payload, options));
      }
      ids.push(...(await Promise.all(batch)));
    }
    return ids;
  }

  /** Ids of the rows a jobs table shows, in order. */
  async rowIds(selector = 'table.jobs-table tbody tr[data-job-id]'): Promise<string[]> {
    return this.page.locator(selector).evaluateAll((rows) => rows.map((row) => row.getAttribute('data-job-id') ?? ''));
  }

  /** Counts rows of the database's jobs table matching a condition on its columns. */
  async countJobs(where: string, params: unknown[] = []): Promise<number> {
    const res = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${this.schema}".jobs WHERE ${where}`,
      params,
    );
    return res.rows[0].n;
  }
}
