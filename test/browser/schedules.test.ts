import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { Cluster, type ServerNode } from '../support/cluster';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from '../support/database';
import { waitFor } from '../support/wait';
import { browserSkipReason, ensureDashboardBuilt, launchChromium, screenshot } from './support';

// The Schedules view in Debian's Chromium against a real server process with real schedules
// firing: state changes are checked in the database, not only on the page.

const skip = browserSkipReason();

describe('schedules in the dashboard', { skip: skip ?? false }, () => {
  const pool = assertionPool();
  const schema = uniqueSchema('browser_sched');
  let cluster: Cluster;
  let full: ServerNode;
  let readOnly: ServerNode;
  let browser: Browser;
  let page: Page;
  let failed = false;
  const pageErrors: string[] = [];

  const row = async (name: string) =>
    (await pool.query(`SELECT * FROM "${schema}".schedules WHERE name = $1`, [name])).rows[0];
  const create = async (body: Record<string, unknown>) => {
    const res = await fetch(`${full.url}/api/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 201, await res.text());
  };

  before(async () => {
    ensureDashboardBuilt();
    cluster = new Cluster({
      name: 'browser-schedules',
      databaseUrl: databaseUrl(),
      schema,
      env: { JOBS_POLL_INTERVAL_MS: '100' },
    });
    full = await cluster.start();
    readOnly = await cluster.start({ JOBS_API_ACCESS: 'read-only' });
    await create({ name: 'mailer', type: 'email', intervalMs: 2_000, payload: { to: 'team@example.com' } });
    await create({
      name: 'failing',
      type: 'simulate',
      intervalMs: 1_000,
      payload: { permanent: true },
      maxAttempts: 1,
    });
    await create({
      name: 'catching-up',
      type: 'email',
      intervalMs: 1_000,
      missed: 'skip',
      payload: { to: 'x@example.com' },
    });
    // As if every node had been down for a minute: the catch-up counts its missed ticks.
    await pool.query(
      `UPDATE "${schema}".schedules SET next_run_at = next_run_at - interval '60 seconds' WHERE name = 'catching-up'`,
    );
    await waitFor(async () => (await row('catching-up')).missed_ticks > 0, { message: 'missed ticks counted' });
    await waitFor(
      async () => {
        const res = await pool.query(
          `SELECT count(*)::int AS n FROM "${schema}".schedule_runs r JOIN "${schema}".jobs j ON j.id = r.job_id
           WHERE r.schedule = 'failing' AND j.state = 'failed'`,
        );
        return res.rows[0].n >= 2;
      },
      { timeoutMs: 15_000, message: 'failed runs' },
    );
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) pageErrors.push(msg.text());
    });
  });

  after(async () => {
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
        await screenshot(page, `schedules-failure-${Date.now()}`).catch(() => undefined);
        throw err;
      }
    };
  }

  it(
    'lists schedules with their next and last run, and warns of missed ticks and failing runs',
    track(async () => {
      await page.goto(`${full.url}/schedules`);
      const mailer = page.locator('li.schedule[data-schedule="mailer"]');
      await mailer.waitFor();
      await waitFor(async () => /completed/.test((await mailer.locator('.last-run').textContent()) ?? ''), {
        message: 'the last run of mailer shown completed',
        intervalMs: 200,
      });
      assert.match((await mailer.locator('.next-run').textContent()) ?? '', /in |now/);
      assert.equal(await mailer.locator('.schedule-warnings').count(), 0, 'a healthy schedule has no warning');
      const failing = page.locator('li.schedule[data-schedule="failing"] .schedule-warnings');
      await failing.waitFor({ timeout: 10_000 });
      assert.match((await failing.textContent()) ?? '', /of its last 5 runs failed/);
      const missed = page.locator('li.schedule[data-schedule="catching-up"] .schedule-warnings');
      assert.match((await missed.textContent()) ?? '', /Missed ticks/);
      await screenshot(page, 'schedules', { forDocs: true });
    }),
  );

  it(
    'pauses, resumes and runs a schedule now; the database says so',
    track(async () => {
      await page.goto(`${full.url}/schedules`);
      const card = page.locator('li.schedule[data-schedule="mailer"]');
      await card.getByRole('button', { name: 'Pause', exact: true }).click();
      await page.locator('li.schedule[data-schedule="mailer"][data-paused="true"]').waitFor();
      assert.equal((await row('mailer')).paused, true);
      await card.getByRole('button', { name: 'Resume', exact: true }).click();
      await page.locator('li.schedule[data-schedule="mailer"][data-paused="false"]').waitFor();
      assert.equal((await row('mailer')).paused, false);
      await card.getByRole('button', { name: 'Run now', exact: true }).click();
      const status = card.getByRole('status');
      await status.waitFor();
      const jobId = /job (\d+)/.exec((await status.textContent()) ?? '')?.[1];
      const manual = await pool.query(
        `SELECT job_id FROM "${schema}".schedule_runs WHERE schedule = 'mailer' AND outcome = 'manual'`,
      );
      assert.deepEqual(
        manual.rows.map((r) => r.job_id),
        [jobId],
      );
    }),
  );

  it(
    'shows the run history with each job, and edits a schedule',
    track(async () => {
      await page.goto(`${full.url}/schedules/mailer`);
      await page.locator('table.schedule-runs tbody tr').first().waitFor();
      const first = page.locator('table.schedule-runs tbody tr').first().locator('a');
      const href = await first.getAttribute('href');
      assert.match(href ?? '', /^\/jobs\/\d+$/);
      await page.getByRole('button', { name: 'Edit', exact: true }).click();
      await page.locator('input[name="interval"]').fill('7');
      await page.locator('select[name="overlap"]').selectOption('skip');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.locator('.cadence', { hasText: 'every 7 s' }).waitFor();
      const saved = await row('mailer');
      assert.equal(saved.interval_ms, '7000');
      assert.equal(saved.overlap, 'skip');
      await screenshot(page, 'schedule-detail', { forDocs: true });
    }),
  );

  it(
    'a read-only caller sees schedules without any action',
    track(async () => {
      await page.goto(`${readOnly.url}/schedules`);
      await page.locator('li.schedule[data-schedule="mailer"]').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Run now', exact: true }).count(), 0);
      assert.equal(await page.getByRole('button', { name: 'Pause', exact: true }).count(), 0);
      await page.goto(`${readOnly.url}/schedules/mailer`);
      await page.locator('table.schedule-runs').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Edit', exact: true }).count(), 0);
    }),
  );
});
