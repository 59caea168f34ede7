import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, type JobChange, type QueueSummary } from 'nest-pg-jobs';
import { ChangeFeedHub } from './support/internals';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { listenLocally, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('ev.ok', { queue: 'ev' })
class OkHandler {
  async handle(): Promise<void> {}
}

interface SseMessage {
  event: string | null;
  data: string | null;
  comments: string[];
  at: number;
}

/** An SSE client on fetch: parses messages as they arrive; `close()` disconnects. */
class SseClient {
  readonly messages: SseMessage[] = [];
  raw = '';
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();
  status = 0;
  contentType = '';

  async connect(url: string): Promise<this> {
    const res = await fetch(url, { signal: this.abort.signal });
    this.status = res.status;
    this.contentType = res.headers.get('content-type') ?? '';
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const text = decoder.decode(value, { stream: true });
          this.raw += text;
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.messages.push(parse(buffer.slice(0, end)));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // aborted
      }
    })();
    return this;
  }

  events(name: string): SseMessage[] {
    return this.messages.filter((m) => m.event === name);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

function parse(block: string): SseMessage {
  const msg: SseMessage = { event: null, data: null, comments: [], at: Date.now() };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) msg.comments.push(line.slice(1).trim());
    else if (line.startsWith('event: ')) msg.event = line.slice(7);
    else if (line.startsWith('data: ')) msg.data = (msg.data === null ? '' : `${msg.data}\n`) + line.slice(6);
  }
  return msg;
}

describe('GET /api/changes (Server-Sent Events)', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;
  let hub: ChangeFeedHub;

  before(async () => {
    t = await createTestApp([OkHandler], { statsCacheMs: 100 }, restApiImports({ changesHeartbeatMs: 300 }));
    base = await listenLocally(t);
    hub = t.app.get(ChangeFeedHub);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('streams coalesced job changes (at most one message a second) and queue summaries', async () => {
    const client = await new SseClient().connect(`${base}/api/changes`);
    try {
      assert.equal(client.status, 200);
      assert.match(client.contentType, /^text\/event-stream/);
      await waitFor(() => hub.active, { message: 'the poller to start' });
      // Let the first poll take its starting point, then make jobs.
      await waitFor(() => client.messages.some((m) => m.comments.includes('connected')), { message: 'connected' });
      await waitFor(() => client.events('queues').length > 0 || hub['maxId'] !== null, { message: 'first poll' });
      const jobs = await t.jobs.enqueueMany(Array.from({ length: 20 }, (_, i) => ({ type: 'ev.ok', payload: { i } })));
      const ids = new Set(jobs.map((j) => j.id));
      const started = Date.now();
      const latest = new Map<string, JobChange>();
      await waitFor(
        () => {
          for (const m of client.events('jobs')) {
            for (const c of (JSON.parse(m.data!) as { changes: JobChange[] }).changes) latest.set(c.id, c);
          }
          return [...ids].every((id) => latest.get(id)?.state === 'completed');
        },
        { timeoutMs: 5_000, message: 'every job to be reported completed' },
      );
      assert.ok(Date.now() - started < 5_000);
      const jobMessages = client.events('jobs');
      for (const m of jobMessages) {
        const body = JSON.parse(m.data!) as { changes: JobChange[]; at: string };
        assert.ok(!Number.isNaN(Date.parse(body.at)));
        const seen = body.changes.map((c) => c.id);
        assert.equal(new Set(seen).size, seen.length, 'one change per job per message (coalesced)');
        for (const c of body.changes) {
          if (ids.has(c.id)) assert.deepEqual([c.queue, c.type], ['ev', 'ev.ok']);
        }
      }
      // At most one jobs message a second (the poll interval), with a little timer slack.
      for (let i = 1; i < jobMessages.length; i++) {
        assert.ok(jobMessages[i].at - jobMessages[i - 1].at >= 800, `messages ${i - 1} and ${i} too close`);
      }
      // Queue summaries: sent when they change, the latest showing the 20 jobs completed.
      await waitFor(
        () => {
          const last = client.events('queues').at(-1);
          const items = last ? (JSON.parse(last.data!) as { items: QueueSummary[] }).items : [];
          return items.find((q) => q.name === 'ev')?.counts.completed === 20;
        },
        { message: 'a queues message with the completed jobs' },
      );
    } finally {
      await client.close();
    }
  });

  it('sends heartbeat comments', async () => {
    const client = await new SseClient().connect(`${base}/api/changes`);
    try {
      await waitFor(() => client.messages.some((m) => m.comments.some((c) => c.startsWith('heartbeat '))), {
        timeoutMs: 3_000,
        message: 'a heartbeat',
      });
      assert.match(client.raw, /\n: heartbeat \d{4}-\d\d-\d\dT[^\n]+Z\n\n/);
      assert.match(client.raw, /^retry: \d+\n: connected\n\n/);
    } finally {
      await client.close();
    }
  });

  it('shares one poller between clients and stops it when the last one disconnects', async () => {
    const a = await new SseClient().connect(`${base}/api/changes`);
    const b = await new SseClient().connect(`${base}/api/changes`);
    await waitFor(() => hub.clientCount === 2, { message: 'two clients' });
    assert.equal(hub.active, true);
    await a.close();
    await waitFor(() => hub.clientCount === 1, { message: 'one client left' });
    assert.equal(hub.active, true);
    await b.close();
    await waitFor(() => hub.clientCount === 0 && !hub.active, { message: 'the poller to stop' });
  });
});
