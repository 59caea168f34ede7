import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Cluster, type ServerNode } from '../support/cluster';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from '../support/database';
import { waitFor } from '../support/wait';
import { browserSkipReason, ensureDashboardBuilt, launchChromium, screenshot } from './support';

// The dashboard in Debian's Chromium against real server processes (apps/server/dist/main.js, which
// serves dashboard/dist at `/`) with real jobs running: no part of the API is mocked.

interface JobJson {
  id: string;
  state: string;
  queue: string;
  attempts: number;
}

const skip = browserSkipReason();

describe('dashboard in a real browser', { skip: skip ?? false }, () => {
  const pool = assertionPool();
  const schema = uniqueSchema('browser');
  let cluster: Cluster;
  let full: ServerNode;
  let readOnly: ServerNode;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let failed = false;
  let feeder: NodeJS.Timeout | undefined;
  /** Errors the page threw or logged: a test fails on any. */
  const pageErrors: string[] = [];
  const ids: Record<string, string> = {};

  async function getJob(id: string): Promise<JobJson> {
    const res = await fetch(`${full.url}/api/jobs/${id}`);
    assert.equal(res.status, 200);
    return (await res.json()) as JobJson;
  }

  async function waitForState(id: string, state: string, timeoutMs = 15_000): Promise<JobJson> {
    return waitFor(
      async () => {
        const job = await getJob(id);
        return job.state === state ? job : undefined;
      },
      { timeoutMs, intervalMs: 100, message: `job ${id} to be ${state}` },
    );
  }

  async function newPage(base: string): Promise<Page> {
    const p = await context.newPage();
    p.on('pageerror', (err) => pageErrors.push(`${base}: ${err.message}`));
    p.on('console', (msg) => {
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) pageErrors.push(msg.text());
    });
    return p;
  }

  before(async () => {
    ensureDashboardBuilt();
    cluster = new Cluster({
      name: 'browser',
      databaseUrl: databaseUrl(),
      schema,
      env: { JOBS_POLL_INTERVAL_MS: '100', JOBS_CONCURRENCY: '4' },
    });
    full = await cluster.start();
    readOnly = await cluster.start({ JOBS_API_ACCESS: 'read-only' });

    // Jobs of every kind: completed emails, a permanent failure (dead letter), failures after
    // retries, jobs retrying, a delayed job, jobs on a queue no node serves (they stay pending).
    for (let i = 0; i < 12; i += 1) await full.enqueue('email', { to: `user${i}@example.com`, subject: `hello ${i}` });
    ids.permanent = await full.enqueue('simulate', { permanent: true, order: 'A-1' });
    ids.toReplay = await full.enqueue('simulate', { failTimes: 1, order: 'B-2' }, { maxAttempts: 1 });
    ids.alsoFailed = await full.enqueue('simulate', { failTimes: 1, order: 'B-3' }, { maxAttempts: 1 });
    ids.retrying = await full.enqueue('simulate', { failTimes: 1000, durationMs: 50 }, { maxAttempts: 1000 });
    ids.delayed = await full.enqueue('email', { to: 'later@example.com' }, { delayMs: 3_600_000 });
    for (let i = 0; i < 5; i += 1) {
      ids[`report${i}`] = await full.enqueue('email', { to: `report${i}@example.com` }, { queue: 'reports' });
    }
    ids.xss = await full.enqueue('email', {
      to: 'xss@example.com',
      subject: '<script>window.__xssScript = 1</script><img src=x onerror="window.__xssImg = 1">',
    });
    ids.xssError = await full.enqueue(
      'simulate',
      { throwValue: '<img src=x onerror="window.__xssError = 1"><b>bold?</b>' },
      { maxAttempts: 1 },
    );
    // Keep jobs flowing while the tests run (throughput on the charts, live updates in the list).
    feeder = setInterval(() => {
      void full.enqueue('email', { to: 'stream@example.com', subject: 'tick' }).catch(() => undefined);
    }, 400);
    await waitForState(ids.permanent, 'failed');
    await waitForState(ids.toReplay, 'failed');
    await waitForState(ids.alsoFailed, 'failed');
    await waitForState(ids.xssError, 'failed');

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 860 }, colorScheme: 'light' });
    page = await newPage(full.url);
  });

  after(async () => {
    if (feeder) clearInterval(feeder);
    await browser?.close().catch(() => undefined);
    await cluster?.dispose({ keepArtifacts: failed });
    await dropSchema(pool, schema).catch(() => undefined);
    await pool.end();
  });

  function track(fn: () => Promise<void>): () => Promise<void> {
    return async () => {
      try {
        await fn();
        assert.deepEqual(pageErrors, [], 'the page threw or logged errors');
      } catch (err) {
        failed = true;
        await screenshot(page, `failure-${Date.now()}`).catch(() => undefined);
        throw err;
      }
    };
  }

  it(
    'serves the dashboard at / with client routes, and leaves /api and /health to the server',
    track(async () => {
      const index = await fetch(`${full.url}/`);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /text\/html/);
      assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const route = await fetch(`${full.url}/jobs/${ids.permanent}`, { headers: { accept: 'text/html' } });
      assert.equal(route.status, 200);
      assert.match(await route.text(), /<div id="root">/);
      const api = await fetch(`${full.url}/api/jobs/${ids.permanent}`, { headers: { accept: 'text/html' } });
      assert.match(api.headers.get('content-type') ?? '', /application\/json/);
      const unknownApi = await fetch(`${full.url}/api/nope`, { headers: { accept: 'text/html' } });
      assert.equal(unknownApi.status, 404);
      assert.doesNotMatch(await unknownApi.text(), /<div id="root">/);
      const health = await fetch(`${full.url}/health`, { headers: { accept: 'text/html' } });
      assert.match(health.headers.get('content-type') ?? '', /application\/json/);
      const missingAsset = await fetch(`${full.url}/assets/missing.js`);
      assert.equal(missingAsset.status, 404);
    }),
  );

  it(
    'opens the overview: queues with counts, charts and live nodes',
    track(async () => {
      // The per-minute series are aggregated by the server: wait until they count this run's jobs.
      await waitFor(
        async () => {
          const res = await fetch(`${full.url}/api/stats/series?minutes=15`);
          const { points } = (await res.json()) as { points: Array<{ completed: number; failed: number }> };
          return points.some((p) => p.completed > 0) && points.some((p) => p.failed > 0) ? true : undefined;
        },
        { message: 'the series to count completed and failed jobs', timeoutMs: 30_000, intervalMs: 250 },
      );
      await page.goto(`${full.url}/?minutes=15`);
      await page.locator('tr[data-queue="default"]').waitFor();
      await page.locator('tr[data-queue="reports"]').waitFor();
      // Five report jobs wait on a queue no node serves.
      await waitFor(
        async () =>
          (await page.locator('tr[data-queue="reports"] td').nth(1).textContent())?.trim() === '5' || undefined,
        { message: 'the reports queue to show 5 pending', timeoutMs: 15_000, intervalMs: 200 },
      );
      assert.equal((await page.locator('.chart canvas').count()) >= 2, true, 'two charts drawn');
      assert.equal(await page.locator('.chart canvas').first().isVisible(), true);
      await page.locator('li.node').nth(1).waitFor();
      assert.equal(await page.locator('li.node').count(), 2, 'both nodes listed');
      // Throughput shows on the chart's data once the series has counted completions.
      await page.locator('.live-status[data-status="open"]').waitFor({ timeout: 10_000 });
      await screenshot(page, 'overview', { forDocs: true });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.waitForTimeout(300); // the charts redraw with the dark palette
      const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
      assert.notEqual(background, 'rgb(246, 247, 249)', 'dark mode changes the background');
      await screenshot(page, 'overview-dark', { forDocs: true });
      await page.emulateMedia({ colorScheme: 'light' });
    }),
  );

  it(
    'filters jobs: the URL reflects the filters and only matching rows are shown',
    track(async () => {
      await page.goto(`${full.url}/jobs`);
      await page.locator('table.jobs-table tbody tr').first().waitFor();
      await page.getByLabel('Queue').selectOption('reports');
      await page.waitForURL(/queue=reports/);
      await page.getByLabel('State').selectOption('pending');
      await page.waitForURL(/state=pending/);
      await waitFor(
        async () => {
          const states = await page
            .locator('table.jobs-table tbody tr')
            .evaluateAll((rows) =>
              rows.map((r) => `${r.getAttribute('data-state')}/${r.querySelector('td.queue')?.textContent}`),
            );
          return states.length === 5 && states.every((s) => s === 'pending/reports') ? states : undefined;
        },
        { message: 'five pending rows of the reports queue', intervalMs: 100 },
      );
      const url = new URL(page.url());
      assert.equal(url.pathname, '/jobs');
      assert.equal(url.searchParams.get('queue'), 'reports');
      assert.equal(url.searchParams.get('state'), 'pending');
      await screenshot(page, 'jobs', { forDocs: true });

      // The search box: a job id finds that job; the URL carries it.
      await page.getByLabel('Search').fill(ids.report3);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(new RegExp(`q=${ids.report3}`));
      await waitFor(
        async () => {
          const rows = await page
            .locator('table.jobs-table tbody tr')
            .evaluateAll((r) => r.map((row) => row.getAttribute('data-job-id')));
          return rows.length === 1 && rows[0] === ids.report3 ? rows : undefined;
        },
        { message: 'only the searched job', intervalMs: 100 },
      );

      // A shared URL opens with its filters applied.
      await page.goto(`${full.url}/jobs?state=failed&queue=default`);
      await page.locator('table.jobs-table tbody tr').first().waitFor();
      assert.equal(await page.getByLabel('State').inputValue(), 'failed');
      assert.equal(await page.getByLabel('Queue').inputValue(), 'default');
      const states = await page
        .locator('table.jobs-table tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
      assert.ok(states.length >= 4, `failed jobs listed: ${states.join()}`);
      assert.ok(
        states.every((s) => s === 'failed'),
        `only failed rows: ${states.join()}`,
      );
    }),
  );

  it(
    'opens a failed job and reads its stack trace',
    track(async () => {
      await page.goto(`${full.url}/jobs?state=failed`);
      await page.locator(`tr[data-job-id="${ids.permanent}"] a`).first().click();
      await page.waitForURL(new RegExp(`/jobs/${ids.permanent}$`));
      await page.locator('.attempt').first().waitFor();
      const error = await page.locator('.attempt-error').first().textContent();
      assert.match(error ?? '', /simulated permanent failure/);
      const stack = await page.locator('pre.stack').first().textContent();
      assert.match(stack ?? '', /PermanentJobError: simulated permanent failure/);
      assert.match(stack ?? '', /\n\s+at .*SimulateHandler/);
      assert.match((await page.locator('pre[aria-label="payload"]').textContent()) ?? '', /"order": "A-1"/);
      await page.locator('.timeline li').first().waitFor();
      await screenshot(page, 'job-detail', { forDocs: true });
    }),
  );

  it(
    'replays a dead letter with an edited payload and sees it complete; replays a selection',
    track(async () => {
      await page.goto(`${full.url}/dead-letters`);
      const row = page.locator(`li.dead-letter[data-job-id="${ids.toReplay}"]`);
      await row.waitFor();
      assert.ok((await page.locator('section.group[data-type="simulate"]').count()) >= 2, 'grouped by error');
      await screenshot(page, 'dead-letters', { forDocs: true });
      await row.getByRole('button', { name: 'Edit & replay' }).click();
      await row.getByLabel('Payload (JSON)').fill('{ "order": "B-2", "failTimes": 0 }');
      await row.getByRole('button', { name: 'Replay with this payload' }).click();
      await waitForState(ids.toReplay, 'completed');

      // The job page shows it completed, with the replay on its timeline.
      await page.goto(`${full.url}/jobs/${ids.toReplay}`);
      await page.locator('.badge.state-completed').first().waitFor();
      assert.match((await page.locator('pre[aria-label="payload"]').textContent()) ?? '', /"failTimes": 0/);
      await page.locator('.timeline li[data-event="replayed"]').waitFor();

      // A selection: one checkbox, "Replay selected (1)".
      await page.goto(`${full.url}/dead-letters`);
      await page.getByLabel(`select job ${ids.alsoFailed}`).check();
      await page.getByRole('button', { name: 'Replay selected (1)' }).click();
      // A bulk action asks first.
      await page.getByRole('dialog').getByRole('button', { name: 'Replay 1 job' }).click();
      await page.getByRole('status').filter({ hasText: 'Replayed 1 job.' }).waitFor();
      // Same payload, so it fails again: but it ran again (attempt 1 of its replay).
      await waitFor(
        async () => {
          const job = (await getJob(ids.alsoFailed)) as JobJson & { replays: number };
          return job.replays === 1 && job.state === 'failed' ? job : undefined;
        },
        { message: 'the selected dead letter replayed and failed again', intervalMs: 100 },
      );
    }),
  );

  it(
    'shows retries with their next run time',
    track(async () => {
      await page.goto(`${full.url}/retries`);
      await page.locator(`tr[data-job-id="${ids.retrying}"]`).waitFor({ timeout: 15_000 });
      assert.equal(await page.locator(`tr[data-job-id="${ids.delayed}"]`).count(), 0, 'delayed jobs hidden');
      await page.getByLabel('include delayed jobs not yet attempted').check();
      await page.waitForURL(/retries=all/);
      await page.locator(`tr[data-job-id="${ids.delayed}"]`).waitFor();
      assert.match((await page.locator(`tr[data-job-id="${ids.delayed}"] time`).textContent()) ?? '', /^in /);
      await screenshot(page, 'retries', { forDocs: true });
    }),
  );

  it(
    'pauses a queue (its jobs stay pending) and resumes it (they complete)',
    track(async () => {
      await page.goto(`${full.url}/queues`);
      const card = page.locator('li.queue[data-queue="default"]');
      await card.waitFor();
      await card.getByRole('button', { name: 'Pause' }).click();
      await page.locator('li.queue[data-queue="default"][data-paused="true"]').waitFor();
      const waiting = [];
      for (let i = 0; i < 3; i += 1) waiting.push(await full.enqueue('email', { to: `paused${i}@example.com` }));
      // Ten polling intervals and a NOTIFY later, nothing was started.
      await new Promise((done) => setTimeout(done, 1_500));
      for (const id of waiting) assert.equal((await getJob(id)).state, 'pending', `job ${id} stays pending`);
      await screenshot(page, 'queues', { forDocs: true });
      await card.getByRole('button', { name: 'Resume' }).click();
      await page.locator('li.queue[data-queue="default"][data-paused="false"]').waitFor();
      for (const id of waiting) await waitForState(id, 'completed');
    }),
  );

  it(
    'in read-only mode hides the actions, and a write is refused with 403',
    track(async () => {
      const ro = await newPage(readOnly.url);
      try {
        await ro.goto(`${readOnly.url}/jobs/${ids.permanent}`);
        await ro.locator('.badge.read-only').waitFor();
        await ro.locator('.read-only-note').waitFor();
        assert.equal(
          await ro
            .locator('main')
            .getByRole('button', { name: /replay|cancel/i })
            .count(),
          0,
        );
        const refused = await ro.evaluate(async (id) => {
          const res = await fetch(`/api/jobs/${id}/replay`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-requested-with': 'jobs-dashboard' },
            body: '{}',
          });
          return { status: res.status, body: (await res.json()) as { action?: string } };
        }, ids.permanent);
        assert.equal(refused.status, 403);
        assert.equal(refused.body.action, 'replay');
        assert.equal((await getJob(ids.permanent)).state, 'failed', 'nothing was replayed');
        await ro.goto(`${readOnly.url}/queues`);
        await ro.locator('li.queue[data-queue="default"]').waitFor();
        assert.equal(await ro.locator('li.queue').getByRole('button', { name: 'Pause' }).count(), 0);
        await ro.goto(`${readOnly.url}/dead-letters`);
        await ro.locator(`li.dead-letter[data-job-id="${ids.permanent}"]`).waitFor();
        assert.equal(await ro.locator('li.dead-letter input[type="checkbox"]').count(), 0);
        await screenshot(ro, 'read-only');
      } finally {
        await ro.close();
      }
    }),
  );

  it(
    'renders a payload and an error containing <script> and HTML as text: nothing executes',
    track(async () => {
      await page.goto(`${full.url}/jobs/${ids.xss}`);
      const payload = page.locator('pre[aria-label="payload"]');
      await payload.waitFor();
      assert.match((await payload.textContent()) ?? '', /<script>window\.__xssScript = 1<\/script><img src=x/);
      await page.goto(`${full.url}/jobs/${ids.xssError}`);
      await page.locator('.attempt-error').first().waitFor();
      assert.match((await page.locator('.attempt-error').first().textContent()) ?? '', /<img src=x onerror=/);
      await page.goto(`${full.url}/jobs?q=${ids.xss}`);
      await page.locator(`tr[data-job-id="${ids.xss}"]`).waitFor();
      assert.match((await page.locator(`tr[data-job-id="${ids.xss}"] td.preview`).textContent()) ?? '', /<script>/);
      // (Evaluated in the page; written as a string because the tests compile without DOM types.)
      const injected = await page.evaluate(`({
        script: window.__xssScript,
        img: window.__xssImg,
        error: window.__xssError,
        elements: document.querySelectorAll('main script, main img, main b').length,
      })`);
      assert.deepEqual(injected, { script: undefined, img: undefined, error: undefined, elements: 0 });
    }),
  );

  it(
    "shows a running job's progress and the log lines its handler wrote",
    track(async () => {
      const id = await full.enqueue('simulate', { durationMs: 40_000, steps: 20 });
      await waitForState(id, 'running');
      await page.goto(`${full.url}/jobs/${id}`);
      const bar = page.getByRole('progressbar');
      await bar.waitFor({ timeout: 15_000 });
      await waitFor(async () => Number(await bar.getAttribute('aria-valuenow')) >= 5, {
        timeoutMs: 15_000,
        message: 'some progress',
        intervalMs: 200,
      });
      await page.getByText('step 1 of 20 done').first().waitFor({ timeout: 10_000 });
      await screenshot(page, 'job-progress');
      const cancel = await fetch(`${full.url}/api/jobs/${id}/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
      });
      assert.equal(cancel.status, 200);
    }),
  );
});
