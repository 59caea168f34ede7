// A burst of admin writes against a running server (issue 22, point 1): how /health and a read
// answer meanwhile, and how the writes are answered.
// Usage: node bench/diag/burst-health.mjs http://127.0.0.1:3000 [writes=200]
import { performance } from 'node:perf_hooks';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const writes = Number(process.argv[3] ?? 200);
const headers = { 'content-type': 'application/json', 'x-requested-with': 'burst' };

const name = `burst-${Date.now()}`;
const created = await fetch(`${base}/api/schedules`, {
  method: 'POST',
  headers,
  body: JSON.stringify({ name, type: 'email', intervalMs: 3_600_000, payload: { to: 'burst@example.com' } }),
});
if (created.status !== 201) throw new Error(`schedule: ${created.status} ${await created.text()}`);

const timed = async (label, path, init) => {
  const t = performance.now();
  const res = await fetch(`${base}${path}`, init);
  await res.text();
  return { label, status: res.status, ms: Math.round(performance.now() - t) };
};
const burst = Array.from({ length: writes }, () =>
  timed('write', `/api/schedules/${name}/run`, { method: 'POST', headers }),
);
const probes = await Promise.all([
  timed('GET /health', '/health'),
  timed('GET /health/live', '/health/live'),
  timed('GET /api/jobs?limit=1', '/api/jobs?limit=1'),
]);
const answers = await Promise.all(burst);
for (const p of probes) console.log(`${p.label}: ${p.status} in ${p.ms} ms`);
const by = {};
for (const a of answers) by[a.status] = (by[a.status] ?? 0) + 1;
const slowest = Math.max(...answers.map((a) => a.ms));
console.log(`${writes} writes: ${JSON.stringify(by)} (by status), the slowest answered in ${slowest} ms`);
await fetch(`${base}/api/schedules/${name}`, { method: 'DELETE', headers: { 'x-requested-with': 'burst' } });
