import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/wait';
import { BrowserHarness } from './harness';
import { browserSkipReason } from './support';

// A payload stored before enqueue bounded nesting (issue 22): 32 arrays nested 3,800 deep blanked
// the job page for half a minute ("Invalid string length" while pretty-printing). It must render.

const skip = browserSkipReason();

describe('dashboard: hostile payloads render', { skip: skip ?? false }, () => {
  const h = new BrowserHarness('hostile');

  before(() => h.start([{}]));
  after(() => h.stop());

  it(
    'a job whose payload is nested 3,800 deep shows its page, the payload cut and indented only so deep',
    h.track(async () => {
      const id = await h.node.enqueue('email', { to: 'deep@example.com' }, { delayMs: 3_600_000 });
      const deep = Array.from({ length: 32 }, () => `${'['.repeat(3_800)}1${']'.repeat(3_800)}`).join(',');
      await h.pool.query(`UPDATE "${h.schema}".jobs SET payload = $2::jsonb WHERE id = $1`, [id, `[${deep}]`]);
      await h.page.goto(`${h.url}/jobs/${id}`);
      const payload = h.page.locator('pre[aria-label="payload"]');
      const text = await waitFor(async () => (await payload.textContent()) || undefined, {
        timeoutMs: 20_000,
        message: 'the payload shown',
      });
      assert.ok(text.startsWith('[\n  [\n'), text.slice(0, 40));
      assert.ok(text.length <= 20_001, `the text is cut (${text.length} characters)`);
      assert.ok(!/ {30}/.test(text), 'no indentation beyond 12 levels');
      await h.page.getByRole('button', { name: /^Show all/ }).waitFor();
      assert.equal(await h.page.getByRole('alert').count(), 0, 'no view failure');
    }),
  );
});
