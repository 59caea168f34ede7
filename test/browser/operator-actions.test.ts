import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/wait';
import { BrowserHarness } from './harness';
import { browserSkipReason, screenshot } from './support';

// The operator's actions and lists of issue 13, in Chromium against real server processes: each
// action is confirmed where it destroys or works in bulk, and its outcome read back from the API
// and the database.

const skip = browserSkipReason();

interface QueueJson {
  name: string;
  concurrencySetting: number | null;
}

describe('dashboard: operator actions and lists', { skip: skip ?? false }, () => {
  const h = new BrowserHarness('actions13');
  let readOnlyUrl = '';

  before(async () => {
    await h.start([{}], { JOBS_CONCURRENCY: '4' });
    readOnlyUrl = (await h.cluster.start({ JOBS_API_ACCESS: 'read-only' })).url;
  });
  after(() => h.stop());

  it(
    'runs a delayed job now from its page and from the retries view',
    h.track(async () => {
      const id = await h.node.enqueue('email', { to: 'now@example.com' }, { delayMs: 3_600_000 });
      await h.page.goto(`${h.url}/jobs/${id}`);
      await h.page.getByRole('button', { name: 'Run now' }).click();
      await h.page.locator('.section-head .badge.state-completed').waitFor({ timeout: 15_000 });
      assert.equal((await h.getJob(id)).state, 'completed');
      await h.page.locator('.timeline li[data-event="run_now"]').waitFor();

      // And from the retries view, where delayed jobs are listed soonest first.
      const other = await h.node.enqueue('email', { to: 'now2@example.com' }, { delayMs: 3_600_000 });
      await h.page.goto(`${h.url}/retries?retries=all`);
      await h.page.locator(`tr[data-job-id="${other}"]`).getByRole('button', { name: 'Run now' }).click();
      await h.waitForState(other, 'completed');
      await waitFor(async () => (await h.page.locator(`tr[data-job-id="${other}"]`).count()) === 0 || undefined, {
        message: 'the job leaves the list of waiting jobs',
        intervalMs: 100,
      });
    }),
  );

  it(
    "reads a job's attempts with their durations, repeated stacks folded, and the timeline in words",
    h.track(async () => {
      const id = await h.node.enqueue('simulate', { failTimes: 3, durationMs: 120 }, { maxAttempts: 3 });
      await h.waitForState(id, 'failed');
      await h.page.goto(`${h.url}/jobs/${id}`);
      await h.page.locator('.attempt').nth(2).waitFor();
      const took = await h.page.locator('.attempt-duration').allTextContents();
      assert.equal(took.length, 3);
      for (const text of took) assert.match(text, /^took (\d{3} ms|\d+\.\d s)$/, 'each attempt ran 120 ms or more');
      assert.equal(await h.page.locator('.attempt').nth(0).locator('details.same-stack').count(), 0);
      assert.equal(await h.page.locator('.attempt details.same-stack').count(), 2, 'attempts 2 and 3 fold theirs');
      assert.equal(await h.page.locator('pre.stack:visible').count(), 1, 'one stack shown');
      const failed = await h.page.locator('.timeline li[data-event="failed"]').last().textContent();
      assert.match(failed ?? '', /attempt 3 failed: simulated failure on attempt 3 of 3/);
      assert.doesNotMatch((await h.page.locator('.timeline').textContent()) ?? '', /[{}]/, 'no JSON on the timeline');
    }),
  );

  it(
    'deletes a finished job only once confirmed, and goes back to the list it came from',
    h.track(async () => {
      const id = await h.node.enqueue('email', { to: 'gone@example.com' });
      await h.waitForState(id, 'completed');
      await h.page.goto(`${h.url}/jobs?state=completed&sort=finishedAt&order=asc`);
      await h.page.locator(`tr[data-job-id="${id}"] a`).first().click();
      await h.page.waitForURL(new RegExp(`/jobs/${id}$`));
      await h.page.getByRole('button', { name: 'Delete job' }).click();
      await h.page.getByRole('dialog').getByRole('button', { name: 'Keep' }).click();
      assert.equal((await h.getJob(id)).state, 'completed', 'kept when not confirmed');
      await h.page.getByRole('button', { name: 'Delete job' }).click();
      await h.page.getByRole('dialog').getByRole('button', { name: 'Delete the job' }).click();
      await h.page.waitForURL(/\/jobs\?state=completed&sort=finishedAt&order=asc$/);
      assert.equal((await h.api(`/api/jobs/${id}`)).status, 404);
      assert.equal(await h.countJobs('id = $1', [id]), 0);
    }),
  );

  it(
    'cancels a selection of scheduled jobs in bulk, after a confirmation',
    h.track(async () => {
      const ids = await h.enqueueMany(3, (i) => ['email', { to: `bulk${i}@example.com` }, { delayMs: 3_600_000 }]);
      await h.page.goto(`${h.url}/jobs?state=scheduled`);
      await h.page.getByLabel(`select job ${ids[0]}`).check();
      await h.page.getByLabel(`select job ${ids[1]}`).check();
      await h.page.getByRole('button', { name: 'Cancel selected (2)' }).click();
      await h.page.getByRole('dialog').getByRole('button', { name: 'Cancel 2 jobs' }).click();
      await h.page.getByRole('status').filter({ hasText: 'Canceled 2 jobs.' }).waitFor();
      assert.equal((await h.getJob(ids[0])).state, 'canceled');
      assert.equal((await h.getJob(ids[1])).state, 'canceled');
      assert.equal((await h.getJob(ids[2])).state, 'scheduled', 'the unselected job untouched');
    }),
  );

  it(
    'cleans the completed jobs of a queue',
    h.track(async () => {
      const ids = await h.enqueueMany(4, (i) => ['email', { to: `clean${i}@example.com` }]);
      for (const id of ids) await h.waitForState(id, 'completed');
      await h.page.goto(`${h.url}/jobs?queue=default`);
      await h.page.getByText('Clean finished jobs…').click();
      await h.page.getByLabel('which finished jobs to clean').selectOption('completed');
      await h.page.getByLabel('finished longer ago than').fill('0');
      await h.page.getByRole('button', { name: 'Clean…' }).click();
      await h.page.getByRole('dialog').getByRole('button', { name: 'Delete completed jobs' }).click();
      await h.page
        .getByRole('status')
        .filter({ hasText: /Deleted \d+ completed jobs?\./ })
        .waitFor();
      assert.equal(await h.countJobs(`id = ANY($1)`, [ids]), 0, 'the completed jobs are gone');
    }),
  );

  it(
    "changes a queue's concurrency from its card",
    h.track(async () => {
      await h.page.goto(`${h.url}/queues`);
      const card = h.page.locator('li.queue[data-queue="default"]');
      await card.getByRole('button', { name: 'Change concurrency' }).click();
      await card.getByLabel('Concurrency per node').fill('2');
      await card.getByRole('button', { name: 'Save' }).click();
      await card.getByText('(set to 2 per node)').waitFor();
      await card.locator('.queue-throughput canvas').first().waitFor();
      await screenshot(h.page, 'queue-concurrency', { forDocs: true });
      const { body } = await h.api<{ items: QueueJson[] }>('/api/queues');
      assert.equal(body.items.find((q) => q.name === 'default')?.concurrencySetting, 2);
      await waitFor(async () => /× 2/.test((await card.locator('dd.concurrency').textContent()) ?? ''), {
        timeoutMs: 10_000,
        intervalMs: 200,
        message: 'the nodes to follow the new concurrency',
      });
    }),
  );

  it(
    'filters by error text and creation range, hints when a search matches nothing, sorts by finish time',
    h.track(async () => {
      const disk = await h.enqueueMany(2, (i) => [
        'simulate',
        { throwValue: `disk full on /var (${i})` },
        { maxAttempts: 1 },
      ]);
      for (const id of disk) await h.waitForState(id, 'failed');
      await h.page.goto(`${h.url}/jobs`);
      await h.page.getByLabel('Error contains').fill('DISK FULL');
      await h.page.getByRole('button', { name: 'Apply' }).click();
      await h.page.waitForURL(/error=DISK\+FULL/);
      await waitFor(async () => ((await h.rowIds()).sort().join() === [...disk].sort().join() ? true : undefined), {
        intervalMs: 100,
        message: 'only the two disk-full jobs',
      });

      // Created before an hour ago: none of this run's jobs (the form takes local time, the URL ISO).
      const hourAgo = new Date(Date.now() - 3_600_000);
      const local = new Date(hourAgo.getTime() - hourAgo.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      await h.page.getByLabel('Created before').fill(local);
      await h.page.getByRole('button', { name: 'Apply' }).click();
      await h.page.waitForURL(/to=/);
      const to = new URL(h.page.url()).searchParams.get('to') ?? '';
      assert.ok(Math.abs(Date.parse(to) - hourAgo.getTime()) < 60_000, `to=${to} is an hour ago`);
      await h.page.getByText('No jobs match.').waitFor();
      assert.equal((await h.rowIds()).length, 0);

      await h.page.goto(`${h.url}/jobs?q=987654321`);
      await h.page.getByText(/read as a job id/).waitFor();

      await h.enqueueMany(3, (i) => ['email', { to: `sorted${i}@example.com` }]);
      await h.page.goto(`${h.url}/jobs?state=completed`);
      await h.page.getByRole('button', { name: /^finished/ }).click();
      await h.page.waitForURL(/sort=finishedAt&order=desc/);
      const finished = async () =>
        h.page
          .locator('table.jobs-table tbody tr[data-job-id] td.finished time')
          .evaluateAll((times) => times.map((t) => Date.parse(t.getAttribute('datetime') ?? '')));
      await waitFor(async () => ((await finished()).length > 2 ? true : undefined), { message: 'rows' });
      const desc = await finished();
      assert.deepEqual(
        desc,
        [...desc].sort((a, b) => b - a),
        'newest finished first',
      );
      const durations = await h.page.locator('table.jobs-table tbody tr[data-job-id] td.duration').allTextContents();
      assert.ok(durations.length > 2 && durations.every((d) => /^\d+(\.\d)? (ms|s)$/.test(d)), durations.join());
      await h.page.getByRole('button', { name: /^finished/ }).click();
      await h.page.waitForURL(/order=asc/);
      await waitFor(
        async () => {
          const asc = await finished();
          return asc.length > 2 && asc.every((t, i) => i === 0 || asc[i - 1] <= t) ? true : undefined;
        },
        { message: 'oldest finished first', intervalMs: 100 },
      );
    }),
  );

  it(
    'loads 450 rows in pages of 200 and draws only those in view',
    h.track(async () => {
      await h.enqueueMany(450, (i) => [
        'email',
        { to: `many${i}@example.com` },
        { delayMs: 3_600_000, priority: i % 3 },
      ]);
      await h.page.goto(`${h.url}/jobs?state=scheduled&limit=200`);
      await h.page.locator('table.jobs-table').waitFor();
      for (const shown of [/^400 shown/, /^4[5-9]\d shown/]) {
        await h.page.getByRole('button', { name: 'Load 200 more' }).click();
        await h.page.locator('.shown-count').filter({ hasText: shown }).waitFor();
      }
      const total = Number(await h.page.locator('table.jobs-table').getAttribute('data-rows'));
      assert.ok(total >= 450, `${total} rows loaded`);
      const drawn = await h.page.locator('table.jobs-table tbody tr[data-job-id]').count();
      assert.ok(drawn < 100, `only the rows in view are drawn (${drawn} of ${total})`);
    }),
  );

  it(
    'lists the deletes, the clean and the concurrency change on the audit page, with who did them',
    h.track(async () => {
      await h.page.goto(`${h.url}/audit`);
      for (const action of ['delete', 'clean', 'queue.concurrency']) {
        await h.page.locator(`table.audit-table tr[data-action="${action}"]`).first().waitFor();
      }
      assert.match((await h.page.locator('table.audit-table tbody').textContent()) ?? '', /api/);
      await screenshot(h.page, 'audit', { forDocs: true });
    }),
  );

  it(
    'hides every write from a read-only caller',
    h.track(async () => {
      const ro = await h.newPage();
      try {
        await ro.goto(`${readOnlyUrl}/jobs?state=scheduled`);
        await ro.locator('table.jobs-table tbody tr').first().waitFor();
        assert.equal(await ro.locator('table.jobs-table input[type="checkbox"]').count(), 0, 'no selection');
        assert.equal(await ro.getByText('Clean finished jobs…').count(), 0);
        assert.equal(await ro.getByRole('button', { name: /selected|all matching/ }).count(), 0);
        await ro.goto(`${readOnlyUrl}/retries?retries=all`);
        await ro.locator('table.jobs-table tbody tr').first().waitFor();
        assert.equal(await ro.getByRole('button', { name: 'Run now' }).count(), 0);
        await ro.goto(`${readOnlyUrl}/queues`);
        await ro.locator('li.queue[data-queue="default"]').waitFor();
        assert.equal(await ro.getByRole('button', { name: 'Change concurrency' }).count(), 0);
        await ro.goto(`${readOnlyUrl}/dead-letters`);
        await ro.locator('section.group').first().waitFor();
        assert.equal(await ro.getByRole('button', { name: /Replay all|Delete all/ }).count(), 0);
      } finally {
        await ro.close();
      }
    }),
  );
});
