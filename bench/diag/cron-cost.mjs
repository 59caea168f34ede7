// Synchronous CPU cost of the cron expressions a hostile client can send (issue 22, point 2):
// - checking an expression that never matches (31 February, April, June, September, November);
// - the next tick of an every-second cron in Europe/Paris across the fall-back hour.
// Run after `npm run build`: node bench/diag/cron-cost.mjs
import { performance } from 'node:perf_hooks';
import { Cadence } from '../../libs/jobs/dist/core/schedule-cadence.js';

function time(label, runs, fn) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(2);
  console.log(`${label}: median ${at(0.5)} ms, max ${at(1)} ms over ${runs} runs`);
}

const never = ['0 0 31 2,4,6,9,11 *', '0 0 30 2 *', '* * * 31 2,4,6,9,11 *'];
for (const cron of never) {
  time(`refuse "${cron}"`, 20, () => {
    try {
      Cadence.of({ cron, timeZone: 'UTC' });
      throw new Error('accepted');
    } catch (err) {
      if (err.message === 'accepted') throw err;
    }
  });
}
const paris = Cadence.of({ cron: '* * * * * *', timeZone: 'Europe/Paris' });
// 2026-10-25 03:00 CEST -> 02:00 CET; from 02:59:59 CEST the next tick is 03:00:00 CET, an hour later.
const before = new Date('2026-10-25T00:59:59Z');
time('every-second Europe/Paris next() at the fall-back', 20, () => {
  const next = paris.next(before);
  if (next.toISOString() !== '2026-10-25T02:00:00.000Z') throw new Error(`wrong tick ${next.toISOString()}`);
});
time('every-second Europe/Paris next() on an ordinary day', 200, () => paris.next(new Date('2026-06-01T10:00:00Z')));
