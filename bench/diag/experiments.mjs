// EXPERIMENTS ONLY (not the library's behaviour): prototype patches of the compiled
// QueueWorker, to measure what two proposed engine changes would buy before anyone writes them.
// Selected by NESTJOBS_EXPERIMENT (comma-separated):
//   coalesce  - a finished handler schedules its wake-up with setImmediate (one pending per
//               worker) instead of claiming at once, so all handlers that finish in the same
//               tick free their slots before the next claim (claims of K instead of 1 + K-1).
//   prefetch  - claim up to (free slots + NESTJOBS_PREFETCH) jobs, keep the surplus in a local
//               buffer and start buffered jobs as slots free up; claim again when the buffer is
//               below half. (Prototype: buffered jobs are not lease-renewed nor handed back at
//               shutdown - fine for a 10 s benchmark, not for production.)
//   custom-complete - run the completion UPDATE as an unnamed statement, so PostgreSQL plans
//               it with the actual id array every time instead of switching to the cached
//               generic plan (which nests a loop over all of the node's running rows x ids).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = process.env.NESTJOBS_ROOT || path.resolve(HERE, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { QueueWorker } = require('@app/jobs/dist/worker/queue-worker');
const { JobsStore } = require('@app/jobs/dist/storage/jobs.store');

const EXP = new Set((process.env.NESTJOBS_EXPERIMENT || '').split(',').filter(Boolean));
const PREFETCH = Number(process.env.NESTJOBS_PREFETCH || 500);
const P = QueueWorker.prototype;
const origWake = P.wake;

if (EXP.has('prefetch')) {
  P.wake = function () {
    if (this.stopped) return;
    const buf = (this.__buf ||= []);
    while (buf.length && this.running.size < this.deps.concurrency) this.run(buf.shift());
    origWake.call(this);
  };
  P.fetchLoop = async function () {
    const { store, registry, queue, concurrency, workerId, options } = this.deps;
    const buf = (this.__buf ||= []);
    try {
      do {
        this.fetchAgain = false;
        while (buf.length && this.running.size < concurrency) this.run(buf.shift());
        if (buf.length > PREFETCH / 2) break;
        const want = concurrency - this.running.size + PREFETCH - buf.length;
        const types = registry.all().map((h) => h.metadata.type);
        const jobs = await store.claim(queue, types, want, workerId, options.leaseMs);
        this.fetchFailures = 0;
        for (const job of jobs) {
          if (this.running.size < concurrency && buf.length === 0) this.run(job);
          else buf.push(job);
        }
        while (buf.length && this.running.size < concurrency) this.run(buf.shift());
        if (jobs.length === want) this.fetchAgain = true;
      } while (this.fetchAgain && !this.stopped);
    } catch (err) {
      this.deps.logger.warn(`experiment claim failed: ${err.message}`);
    }
  };
}
if (EXP.has('coalesce')) {
  const inner = P.wake;
  P.wake = function () {
    if (this.__wakePending) return;
    this.__wakePending = true;
    setImmediate(() => {
      this.__wakePending = false;
      inner.call(this);
    });
  };
}
if (EXP.has('custom-complete')) {
  JobsStore.prototype.complete = async function (items, workerId) {
    const unnamed = { text: this.sql.complete.text };
    const res = await this.pool.query({
      ...unnamed,
      values: [items.map((i) => i.id), items.map((i) => i.attempt), workerId],
    });
    return new Set(res.rows.map((r) => r.id));
  };
}
if (EXP.size)
  console.error(
    `[experiment] QueueWorker patched: ${[...EXP].join(',')}${EXP.has('prefetch') ? ` prefetch=${PREFETCH}` : ''}`,
  );
