import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/wait';
import { BrowserHarness } from './harness';
import { browserSkipReason, screenshot } from './support';

// Issue 13's bugs, each seen the way an operator saw it, in Chromium against real server processes.

const skip = browserSkipReason();

describe('dashboard: the bugs of issue 13', { skip: skip ?? false }, () => {
  const h = new BrowserHarness('bugs13');

  before(async () => {
    // Two nodes of 4 slots each for the default queue; no node serves "reports".
    await h.start([{}, {}], { JOBS_CONCURRENCY: '4' });
  });
  after(() => h.stop());

  it(
    '1. lists the jobs waiting to retry behind 60 newer delayed jobs; "include delayed" puts the soonest first',
    h.track(async () => {
      const retrying = await h.enqueueMany(5, (i) => ['simulate', { failTimes: 50, n: i }, { maxAttempts: 60 }]);
      const delayed = await h.enqueueMany(60, (i) => [
        'email',
        { to: `later${i}@example.com` },
        { delayMs: 3_600_000 },
      ]);
      // The retries wait out backoffs of seconds by now (100 ms doubling, at most 5 s).
      await waitFor(async () => (await h.countJobs(`id = ANY($1) AND attempts >= 6`, [retrying])) === 5 || undefined, {
        timeoutMs: 30_000,
        intervalMs: 200,
        message: 'five jobs to have failed six times',
      });
      await h.page.goto(`${h.url}/retries`);
      await waitFor(
        async () => {
          const rows = await h.rowIds();
          return retrying.every((id) => rows.includes(id)) ? rows : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, message: 'the five retrying jobs listed' },
      );
      const shown = await h.rowIds();
      assert.equal(shown.filter((id) => delayed.includes(id)).length, 0, 'delayed jobs are not retries');

      await h.page.getByLabel('include delayed jobs not yet attempted').check();
      await h.page.waitForURL(/retries=all/);
      await waitFor(
        async () => {
          const rows = await h.rowIds();
          return rows.some((id) => delayed.includes(id)) ? rows : undefined;
        },
        { intervalMs: 100, message: 'delayed jobs listed too' },
      );
      const runAts = await h.page
        .locator('table.jobs-table tbody tr[data-job-id] td.run-at time')
        .evaluateAll((times) => times.map((t) => t.getAttribute('datetime') ?? ''));
      const sorted = [...runAts].sort((a, b) => Date.parse(a) - Date.parse(b));
      assert.deepEqual(runAts, sorted, 'soonest first');
      const rows = await h.rowIds();
      const firstDelayed = rows.findIndex((id) => delayed.includes(id));
      const lastRetry = Math.max(...retrying.map((id) => rows.indexOf(id)));
      assert.ok(lastRetry >= 0 && lastRetry < firstDelayed, 'retries due in seconds above jobs due in an hour');
    }),
  );

  it(
    '2. groups 213 dead letters on the server (210 + 3) and replays all 210 with one error',
    h.track(async () => {
      const big = await h.enqueueMany(210, (i) => [
        'simulate',
        { permanent: true, batch: 'big', i },
        { maxAttempts: 1 },
      ]);
      await h.enqueueMany(3, (i) => [
        'simulate',
        { throwValue: 'ledger offline', batch: 'small', i },
        { maxAttempts: 1 },
      ]);
      await waitFor(async () => (await h.countJobs(`state = 'failed'`)) === 213 || undefined, {
        timeoutMs: 60_000,
        intervalMs: 250,
        message: '213 dead letters',
      });
      await h.page.goto(`${h.url}/dead-letters`);
      const group = h.page.locator('section.group[data-count="210"]');
      await group.waitFor({ timeout: 15_000 });
      assert.match((await group.locator('header').textContent()) ?? '', /simulated permanent failure/);
      await h.page.locator('section.group[data-count="3"]').waitFor();
      assert.match((await h.page.locator('.dead-letter-total').textContent()) ?? '', /213 failed jobs in 2 groups/);
      await screenshot(h.page, 'dead-letter-groups', { forDocs: true });

      await group.getByRole('button', { name: 'Replay all 210' }).click();
      await h.page.getByRole('dialog').getByRole('button', { name: 'Replay 210 jobs' }).click();
      // Said above the groups: the group itself empties while its jobs run again.
      await h.page
        .getByRole('status')
        .filter({ hasText: 'Replayed 210 simulate jobs failing with “simulated permanent failure”.' })
        .waitFor();
      assert.equal(await h.countJobs(`id = ANY($1) AND replays = 1`, [big]), 210, 'every one of the 210 replayed');
      assert.equal(await h.countJobs(`payload->>'batch' = 'small' AND replays = 0`), 3, 'the other group untouched');
    }),
  );

  it(
    '3. a scheduled job loaded before it ran shows it completed, and "in N s" ticks meanwhile',
    h.track(async () => {
      const id = await h.node.enqueue('email', { to: 'soon@example.com' }, { delayMs: 6_000 });
      const streams: string[] = [];
      h.page.on('request', (req) => {
        if (new URL(req.url()).pathname === '/api/changes') streams.push(new URL(req.url()).search);
      });
      await h.page.goto(`${h.url}/jobs/${id}`);
      await h.page.locator('.section-head .badge.state-scheduled').waitFor();
      const runAt = h.page.locator('dl.fields time').first();
      const first = await runAt.textContent();
      assert.match(first ?? '', /^in \d/);
      await waitFor(async () => ((await runAt.textContent()) !== first ? true : undefined), {
        timeoutMs: 3_000,
        intervalMs: 100,
        message: `"${first}" to tick`,
      });
      await h.page.locator('.section-head .badge.state-completed').waitFor({ timeout: 15_000 });
      assert.equal((await h.getJob(id)).state, 'completed');
      // The page asked the change feed to follow the job it loaded (created before the stream opened).
      assert.ok(
        streams.some((search) => new URLSearchParams(search).get('watch')?.split(',').includes(id)),
        `a stream following job ${id}: ${streams.join(' ')}`,
      );

      // The same in a list: a row loaded while its job waited turns completed when the job runs.
      const later = await h.node.enqueue('email', { to: 'row@example.com' }, { delayMs: 4_000 });
      await h.page.goto(`${h.url}/jobs?queue=default&type=email`);
      const row = h.page.locator(`tr[data-job-id="${later}"]`);
      assert.equal(await row.getAttribute('data-state', { timeout: 10_000 }), 'scheduled');
      await h.page.locator(`tr[data-job-id="${later}"][data-state="completed"]`).waitFor({ timeout: 15_000 });
    }),
  );

  it(
    '4 and 5. a queue no node serves says "No workers" (card and problems); two nodes of 4 read "2 nodes × 4"',
    h.track(async () => {
      const posted = await h.api<{ warning?: string }>('/api/jobs', {
        method: 'POST',
        body: { type: 'email', payload: { to: 'nobody@example.com' }, queue: 'reports' },
      });
      assert.equal(posted.status, 201);
      await h.page.goto(`${h.url}/queues`);
      const reports = h.page.locator('li.queue[data-queue="reports"]');
      await reports.waitFor();
      await reports.locator('.badge.no-workers').waitFor();
      assert.equal(await reports.getAttribute('data-no-workers'), 'true');
      assert.match((await reports.getByRole('alert').textContent()) ?? '', /No live node serves this queue/);
      const card = h.page.locator('li.queue[data-queue="default"]');
      await waitFor(
        async () => ((await card.locator('dd.concurrency').textContent()) ?? '').startsWith('2 nodes × 4'),
        {
          message: 'the default queue served by 2 nodes of 4',
          intervalMs: 100,
        },
      );
      assert.match((await card.locator('dd.concurrency').textContent()) ?? '', /^2 nodes × 4 = 8/);
      assert.equal(await card.locator('.badge.no-workers').count(), 0);

      await h.page.goto(`${h.url}/`);
      const problem = h.page.locator('.problems li[data-kind="no-workers"][data-queue="reports"]');
      await problem.waitFor();
      assert.match((await problem.textContent()) ?? '', /No workers/);
      assert.equal(await h.page.locator('.problems li').first().getAttribute('data-kind'), 'no-workers');
      // The 400-odd dead letters of the minutes just past, none in the half hour before: rising.
      await h.page
        .locator('.problems li[data-kind="failing"][data-queue="default"]')
        .filter({ hasText: 'Failures rising' })
        .waitFor({ timeout: 15_000 });
    }),
  );

  it(
    '6. an edit-and-replay keeps the payload it replaced on the timeline',
    h.track(async () => {
      const id = await h.node.enqueue('simulate', { permanent: true, order: 'C-3' }, { maxAttempts: 1 });
      await h.waitForState(id, 'failed');
      await h.page.goto(`${h.url}/jobs/${id}`);
      await h.page.getByRole('button', { name: 'Edit payload and replay' }).click();
      await h.page.getByLabel('Payload (JSON)').fill('{ "order": "C-3", "failTimes": 0 }');
      await h.page.getByRole('button', { name: 'Replay with this payload' }).click();
      await h.waitForState(id, 'completed');
      const replayed = h.page.locator('.timeline li[data-event="replayed"]');
      await replayed.waitFor({ timeout: 10_000 });
      assert.match((await replayed.textContent()) ?? '', /with an edited payload/);
      await replayed.getByText('Payload before this replay').click();
      const original = replayed.locator('pre[aria-label="original payload"]');
      assert.match((await original.textContent()) ?? '', /"permanent": true/);
      assert.doesNotMatch((await replayed.textContent()) ?? '', /\{"payloadEdited"/, 'details in words, not JSON');
    }),
  );

  it(
    '7. a 392k payload shows whole after one "Show all", plain, and copies; no favicon 404; one request for a 404 job',
    h.track(async () => {
      const blob = 'x'.repeat(392_000);
      const id = await h.node.enqueue('email', { to: 'big@example.com', blob }, { delayMs: 3_600_000 });
      await h.page.goto(`${h.url}/jobs/${id}`);
      await h.page.getByText(/Large payload/).waitFor();
      await h.page.getByRole('button', { name: 'Show all', exact: true }).click();
      const payload = h.page.locator('pre[aria-label="payload"]');
      await waitFor(async () => ((await payload.textContent())?.length ?? 0) > 392_000 || undefined, {
        message: 'the whole payload shown',
        intervalMs: 100,
      });
      assert.equal(await h.page.getByRole('button', { name: /^Show all/ }).count(), 0, 'no second "Show all"');
      assert.equal(await payload.getAttribute('data-highlighted'), 'false', 'shown plain above the size');
      await h.page.getByRole('button', { name: 'Copy', exact: true }).click();
      await h.page.getByRole('button', { name: 'Copied' }).waitFor();
      const copied = (await h.page.evaluate('navigator.clipboard.readText()')) as string;
      assert.equal((JSON.parse(copied) as { blob: string }).blob.length, 392_000);
      assert.deepEqual(
        h.failedResponses.filter((r) => /favicon/.test(r)),
        [],
        'no favicon 404',
      );
      assert.equal((await fetch(`${h.url}/favicon.svg`)).status, 200);

      const asked: string[] = [];
      h.page.on('request', (req) => {
        if (new URL(req.url()).pathname === '/api/jobs/987654321') asked.push(req.url());
      });
      await h.page.goto(`${h.url}/jobs/987654321`);
      await h.page.getByText('No job with id 987654321.').waitFor();
      await h.page.waitForLoadState('networkidle');
      assert.equal(asked.length, 1, 'the API is asked once for a job that does not exist');
    }),
  );
});
