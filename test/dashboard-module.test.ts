import { Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, RouterModule } from '@nestjs/core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JobHandler, JobsDashboardModule, JobsObservabilityModule } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type Platform, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { listenLocally } from './support/rest';
import { waitFor } from './support/wait';

/** The host's own guard: a bearer token. */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return req.headers.authorization === 'Bearer ops-token';
  }
}

@Injectable()
@JobHandler('dash.ok', { queue: 'dash' })
class OkHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('dash.dead', { queue: 'dash', maxAttempts: 1 })
class DeadHandler {
  async handle(): Promise<void> {
    throw new Error('always fails');
  }
}

const AUTH = { authorization: 'Bearer ops-token' };

/** The dashboard's client routes, read from its App.tsx (`/jobs`, `/jobs/:id`, …) with a sample value
 * for each parameter: every one must be a deep link the module answers with the page. */
function clientRoutes(): string[] {
  const app = readFileSync(join(__dirname, '../../dashboard/src/App.tsx'), 'utf8');
  const routes = [...app.matchAll(/(?:normalized === |matchPath\()'(\/[^']*)'/g)].map((m) => m[1]);
  assert.ok(routes.length >= 8, `App.tsx names its routes (${routes.join(', ')})`);
  return routes.map((route) => route.replace(/:[a-z]+/gi, 'x1'));
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers: { ...AUTH, ...headers }, redirect: 'manual' });
}

/** The page's settings, as the dashboard reads them. */
function pageConfig(html: string): { base: string } {
  const match = /<script type="application\/json" id="jobs-dashboard-config">([^<]*)<\/script>/.exec(html);
  assert.ok(match, 'the page carries its settings as JSON');
  return JSON.parse(match[1]) as { base: string };
}

for (const platform of ['express', 'fastify'] as Platform[]) {
  describe(`JobsDashboardModule on ${platform}: page, files, API, feed under a path, behind a guard`, () => {
    const pool = assertionPool();
    let t: TestApp | undefined;
    let origin = '';
    // Fastify runs under a global prefix, Express at a bare path.
    const prefix = platform === 'fastify' ? '/api' : '';
    const at = () => `${origin}${prefix}/admin/jobs`;

    before(async () => {
      t = await createTestApp(
        [OkHandler, DeadHandler, TokenGuard],
        {},
        {
          platform,
          imports: [
            JobsDashboardModule.forRoot({ path: 'admin/jobs', guards: [TokenGuard] }),
            JobsObservabilityModule.forRoot(),
          ],
          setUp: (app) => {
            if (prefix) app.setGlobalPrefix(prefix.slice(1));
          },
        },
      );
      origin = await listenLocally(t);
    });

    after(async () => {
      await disposeTestApp(t, pool);
      await pool.end();
    });

    it('refuses the page, its files and the API without the credentials the host guard wants', async () => {
      const html = await (await get(at())).text();
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script, 'the page names its script');
      for (const path of ['', '/jobs/1', `/${script}`, '/api/jobs', '/api/changes']) {
        const res = await fetch(`${at()}${path}`);
        assert.equal(res.status, 403, `${path || '/'} without credentials`);
      }
    });

    it('serves the page at its path and at deep links, with its base, a strict policy and no-cache', async () => {
      for (const path of ['', ...clientRoutes().filter((r) => r !== '/'), '/schedules/nightly%20report']) {
        const res = await get(`${at()}${path}`);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
        assert.equal(res.headers.get('cache-control'), 'no-cache');
        const html = await res.text();
        assert.equal(pageConfig(html).base, `${prefix}/admin/jobs/`, path);
        assert.ok(html.includes(`<base href="${prefix}/admin/jobs/" />`), path);
        const policy = res.headers.get('content-security-policy') ?? '';
        assert.match(policy, /script-src 'self'(;|$)/);
        assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|https?:/);
        assert.doesNotMatch(html, /<script>|<script type="module">[^<]/, 'no inline script');
      }
    });

    it('serves hashed files immutable (gzip when asked), and 404 for a file it does not have', async () => {
      const html = await (await get(at())).text();
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
      const plain = await get(`${at()}/${script}`, { 'accept-encoding': 'identity' });
      assert.equal(plain.status, 200);
      assert.match(plain.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.equal(plain.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const code = await plain.text();
      assert.ok(code.length > 10_000);
      const zipped = await get(`${at()}/${script}`, { 'accept-encoding': 'gzip' });
      assert.equal(zipped.headers.get('content-encoding'), 'gzip');
      assert.equal(await zipped.text(), code, 'fetch inflates it to the same code');
      for (const path of ['/assets/index-missing.js', '/assets/..%2Findex.html', '/nope.js', '/jobs/1/2']) {
        const res = await get(`${at()}${path}`);
        assert.equal(res.status, 404, path);
        assert.doesNotMatch(await res.text(), /<html/i, `${path} is not the page`);
      }
    });

    it('takes a proxy prefix from X-Forwarded-Prefix, and only a plain path', async () => {
      const behind = await get(`${at()}/jobs/7`, { 'x-forwarded-prefix': '/ops/' });
      assert.equal(pageConfig(await behind.text()).base, `/ops${prefix}/admin/jobs/`);
      for (const hostile of ['//evil.example', 'https://evil.example', '/a/../b', '/"><script>']) {
        const res = await get(`${at()}/jobs/7`, { 'x-forwarded-prefix': hostile });
        assert.equal(pageConfig(await res.text()).base, `${prefix}/admin/jobs/`, hostile);
      }
    });

    if (platform === 'express') {
      it('redirects the path with a trailing slash to the page, keeping the query and the proxy prefix', async () => {
        const res = await get(`${at()}/?queue=dash`, { 'x-forwarded-prefix': '/ops' });
        assert.equal(res.status, 301);
        assert.equal(res.headers.get('location'), '/ops/admin/jobs?queue=dash');
      });
    }

    it('serves the API under the path: writes, errors as JSON, and the change feed', async () => {
      const headers = { ...AUTH, 'content-type': 'application/json', 'x-requested-with': 'test' };
      const body = JSON.stringify({ type: 'dash.dead', payload: { n: 1 }, idempotencyKey: `k-${platform}` });
      const created = await fetch(`${at()}/api/jobs`, { method: 'POST', headers, body });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('idempotent-replayed'), 'false');
      const job = (await created.json()) as { id: string };
      const again = await fetch(`${at()}/api/jobs`, { method: 'POST', headers, body });
      assert.equal(again.status, 200, 'the same key answers the job already made');
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      const count = await pool.query(`SELECT count(*)::int AS n FROM "${t!.schema}".jobs WHERE type = 'dash.dead'`);
      assert.equal(count.rows[0].n, 1);

      const missing = await get(`${at()}/api/jobs/999999999`);
      assert.equal(missing.status, 404);
      assert.match(((await missing.json()) as { error: string }).error, /JobNotFound/);
      const bad = await fetch(`${at()}/api/jobs`, { method: 'POST', headers, body: JSON.stringify({ type: 'nope' }) });
      assert.equal(bad.status, 400);
      assert.equal(((await bad.json()) as { field: string }).field, 'type');

      // The dead letter is replayed through the API and runs again (read back from the database).
      await waitFor(async () => (await t!.jobs.get(job.id))?.state === 'failed', { message: 'the job to fail' });
      const replayed = await fetch(`${at()}/api/jobs/${job.id}/replay`, { method: 'POST', headers, body: '{}' });
      assert.equal(replayed.status, 200);
      await waitFor(
        async () => {
          const row = await pool.query(`SELECT state, replays FROM "${t!.schema}".jobs WHERE id = $1`, [job.id]);
          return row.rows[0].state === 'failed' && row.rows[0].replays === 1;
        },
        { message: 'the replayed job to run and fail again' },
      );

      // A controller at the API's root (dead letters, audit) is under the path too.
      const groups = await get(`${at()}/api/dead-letters/groups`);
      assert.equal(groups.status, 200);
      assert.ok(Array.isArray(((await groups.json()) as { items: unknown[] }).items));

      const feed = await get(`${at()}/api/changes`);
      assert.equal(feed.status, 200);
      assert.match(feed.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = feed.body!.getReader();
      let text = '';
      while (!text.includes('event: queues')) text += new TextDecoder().decode((await reader.read()).value);
      await reader.cancel();
    });

    it('serves /metrics and /health on the platform', async () => {
      const metrics = await fetch(`${origin}${prefix}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /jobs_/);
      const health = await fetch(`${origin}${prefix}/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { status: string }).status, 'ok');
    });
  });
}

@Module({})
class OpsModule {}

/** A global guard of the host: refuses any request flagged `x-blocked`. */
@Injectable()
class HostWideGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return !context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-blocked'];
  }
}

describe('JobsDashboardModule inside a RouterModule tree, with a nonce', () => {
  const pool = assertionPool();
  let t: TestApp | undefined;
  let origin = '';

  before(async () => {
    t = await createTestApp(
      [OkHandler, { provide: APP_GUARD, useClass: HostWideGuard }],
      {},
      {
        imports: [
          OpsModule,
          JobsDashboardModule.forRootAsync({
            path: 'jobs-ui',
            useFactory: () => ({ nonce: () => 'bm9uY2Utb2YtdGVzdA==', access: () => 'read-only' as const }),
          }),
          RouterModule.register([{ path: 'ops', module: OpsModule, children: [JobsDashboardModule] }]),
        ],
      },
    );
    origin = await listenLocally(t);
  });

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('lives under the tree path, with the nonce on its tags and in its policy', async () => {
    const res = await fetch(`${origin}/ops/jobs-ui/queues`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.equal(pageConfig(html).base, '/ops/jobs-ui/');
    assert.match(html, /<script nonce="bm9uY2Utb2YtdGVzdA==" type="module"/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self' 'nonce-bm9uY2Utb2YtdGVzdA=='/);
    const me = await fetch(`${origin}/ops/jobs-ui/api/me`);
    assert.equal(
      ((await me.json()) as { access: { replay: boolean } }).access.replay,
      false,
      'the factory’s access applies',
    );
  });

  it("is behind the host's global guards: the page, a file and the API", async () => {
    for (const path of ['', '/jobs/3', '/favicon.svg', '/api/queues']) {
      assert.equal((await fetch(`${origin}/ops/jobs-ui${path}`)).status, 200, path);
      const blocked = await fetch(`${origin}/ops/jobs-ui${path}`, { headers: { 'x-blocked': '1' } });
      assert.equal(blocked.status, 403, path);
    }
  });
});
