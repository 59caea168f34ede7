// Browses a fixture application's dashboard in Chromium, as an operator would, from the packed
// package installed in it (used by scripts/check-package.mjs). The application is started as its
// own process (`entry`, listening on a free port), optionally behind a small proxy that strips a
// prefix and says so in X-Forwarded-Prefix. Checks:
// - without credentials, the page, one of its files and the API are refused;
// - with them, the overview shows the application's queues; a job of a handler that always throws
//   is in Dead letters, and Replay makes it run again (read back from the database);
// - a job finishing while its page is open turns completed there, through the change feed (SSE);
// - the page logs no error, no Content-Security-Policy violation among them.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest, createServer } from 'node:http';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function waitFor(fn, { timeoutMs = 20_000, message }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts `node entry` in `dir`; resolves with the process and its URL once it says it listens. */
async function startApp({ node, dir, entry, env }) {
  const child = spawn(node, [entry], { cwd: dir, env: { ...process.env, ...env, PORT: '0' } });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not listen within 60 s\n${output}`)), 60_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1].replace('[::1]', '127.0.0.1'));
      }
    });
    child.on('exit', (code) => reject(new Error(`${entry} exited with ${code}\n${output}`)));
  });
  return { child, url, output: () => output };
}

/** A reverse proxy that serves `upstream` under `prefix`, strips it, and sends X-Forwarded-Prefix. */
async function startProxy(upstream, prefix) {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    if (req.url !== prefix && !req.url.startsWith(`${prefix}/`) && !req.url.startsWith(`${prefix}?`)) {
      res.writeHead(404).end('not proxied');
      return;
    }
    const forward = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url.slice(prefix.length) || '/',
        headers: { ...req.headers, 'x-forwarded-prefix': prefix },
      },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res); // streamed as it comes: the change feed stays live
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${server.address().port}${prefix}` };
}

/**
 * @param {object} o
 * @param {string} o.node the Node binary; @param {string} o.dir the fixture; @param {string} o.entry
 * @param {string} o.path the dashboard's path in the app (`/admin/jobs`)
 * @param {Record<string,string>} o.env the app's environment (DATABASE_URL, JOBS_SCHEMA)
 * @param {string} [o.proxyPrefix] browse through a prefix-stripping proxy
 * @returns {Promise<string>} a note for the report
 */
export async function browseFixture({ node, dir, entry, path, env, proxyPrefix }) {
  const credentials = 'ops:fixture-secret';
  const auth = { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
  const app = await startApp({ node, dir, entry, env: { ...env, DASHBOARD_AUTH: credentials } });
  const proxy = proxyPrefix ? await startProxy(app.url, proxyPrefix) : undefined;
  const pg = (await import('pg')).default;
  const db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  const { launchChromium } = await import(join(root, 'test/dist/browser/support.js'));
  const browser = await launchChromium();
  try {
    const at = `${proxy?.url ?? app.url}${path}`;
    const api = (p, init = {}) =>
      fetch(`${at}/api${p}`, {
        ...init,
        headers: { ...auth, 'content-type': 'application/json', 'x-requested-with': 'check', ...init.headers },
      });

    // Without credentials: the page, a file of it and the API are refused.
    const html = await (await fetch(at, { headers: auth })).text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert(script, `the page at ${at} names no script:\n${html.slice(0, 500)}`);
    for (const url of [at, `${at}/${script}`, `${at}/api/queues`, `${at}/api/changes`]) {
      const res = await fetch(url);
      assert(res.status === 401 || res.status === 403, `${url} without credentials answered ${res.status}`);
    }

    // A dead letter: a job of the handler that always throws.
    const enqueue = async (type, payload, options = {}) => {
      const res = await api('/jobs', { method: 'POST', body: JSON.stringify({ type, payload, ...options }) });
      const text = await res.text();
      assert(res.status === 201, `POST /jobs answered ${res.status}: ${text}`);
      return JSON.parse(text).id;
    };
    const row = async (id) =>
      (await db.query(`SELECT state, replays FROM "${env.JOBS_SCHEMA}".jobs WHERE id = $1`, [id])).rows[0];
    const dead = await enqueue('monthly-report', { month: '2026-11' });
    await waitFor(async () => (await row(dead))?.state === 'failed', { message: `job ${dead} to fail` });

    const context = await browser.newContext({ extraHTTPHeaders: auth });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /Content Security Policy/i.test(msg.text())) problems.push(msg.text());
    });
    const feeds = [];
    page.on('response', (res) => {
      if (/\/api\/changes(\?|$)/.test(res.url())) feeds.push(`${res.status()} ${res.headers()['content-type']}`);
    });

    // The overview shows the application's queues.
    await page.goto(at);
    for (const queue of ['emails', 'reports']) await page.getByText(queue, { exact: true }).first().waitFor();

    // Dead letters: the job is there; Replay runs it again.
    await page.goto(`${at}/dead-letters`);
    const letter = page.locator(`li.dead-letter[data-job-id="${dead}"]`);
    await letter.waitFor();
    await letter.getByRole('button', { name: 'Replay', exact: true }).click();
    await waitFor(
      async () => {
        const r = await row(dead);
        return r.replays === 1 && r.state === 'failed';
      },
      { message: `job ${dead} to run again after Replay` },
    );

    // A job finishing while its page is open turns completed there (change feed).
    const later = await enqueue('welcome-email', { userId: 9, to: 'live@example.com' }, { delayMs: 2_000 });
    await page.goto(`${at}/jobs/${later}`);
    await page.getByText('scheduled', { exact: true }).first().waitFor();
    await waitFor(async () => (await row(later)).state === 'completed', { message: `job ${later} to complete` });
    await page.getByText('completed', { exact: true }).first().waitFor({ timeout: 10_000 });
    assert(
      feeds.some((f) => f.startsWith('200 text/event-stream')),
      `no change feed reached the page: ${feeds.join(', ')}`,
    );
    assert(problems.length === 0, `the page logged errors:\n${problems.join('\n')}`);
    await context.close();
    return `${at}: refused without credentials; queues, dead letter replayed, live completion`;
  } finally {
    await browser.close().catch(() => undefined);
    await db.end().catch(() => undefined);
    proxy?.server.close();
    proxy?.server.closeAllConnections();
    app.child.kill('SIGTERM');
    await Promise.race([once(app.child, 'exit'), new Promise((resolve) => setTimeout(resolve, 15_000))]);
    if (app.child.exitCode === null) app.child.kill('SIGKILL');
  }
}
