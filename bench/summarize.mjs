#!/usr/bin/env node
// Summarises the JSON lines written by bench/run.sh (one line per run.mjs run):
// median [min–max] per (label, scenario, K), and the ratio of our engine (label
// "nest-jobs") to each graphile-worker configuration.
// Usage: node bench/summarize.mjs bench/results/raw-*.jsonl
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (!files.length) {
  console.error('usage: node bench/summarize.mjs file.jsonl...');
  process.exit(64);
}
const rows = files.flatMap((f) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l)),
);

const OURS = 'nest-jobs';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) =>
  x === null || x === undefined || Number.isNaN(x) ? 'n/a' : x >= 100 ? Math.round(x).toString() : x.toFixed(1);
const cell = (xs) => (xs.length ? `${fmt(median(xs))} [${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]` : 'n/a');

const metrics = {
  throughput: [['jobs/s', (r) => r.results.jobs_per_sec, 'higher']],
  latency: [
    ['p50 ms', (r) => r.results.latency_ms?.p50, 'lower'],
    ['p90 ms', (r) => r.results.latency_ms?.p90, 'lower'],
    ['p99 ms', (r) => r.results.latency_ms?.p99, 'lower'],
    ['max ms', (r) => r.results.latency_ms?.max, 'lower'],
  ],
  enqueue: [
    ['one-by-one jobs/s', (r) => r.results.single?.jobs_per_sec, 'higher'],
    ['bulk jobs/s', (r) => r.results.bulk?.jobs_per_sec, 'higher'],
  ],
};

const groups = new Map();
for (const r of rows) {
  const key = [r.scenario, r.concurrency, r.label || r.system].join('|');
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(r);
}
const order = ['throughput', 'latency', 'enqueue'];
const keys = [...groups.keys()].sort((a, b) => {
  const [sa, ka, la] = a.split('|');
  const [sb, kb, lb] = b.split('|');
  return (
    order.indexOf(sa) - order.indexOf(sb) ||
    Number(ka) - Number(kb) ||
    (la !== OURS) - (lb !== OURS) ||
    la.localeCompare(lb)
  );
});

const medianOf = (key, get) => {
  const ok = (groups.get(key) || []).filter((r) => r.results.verified);
  const xs = ok.map(get).filter((x) => typeof x === 'number');
  return xs.length ? median(xs) : null;
};

console.log(
  '| scenario | K | label (system, settings) | version | runs verified/total | metric | median [min–max] | ours ÷ this |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const key of keys) {
  const rs = groups.get(key);
  const [scenario, k, label] = key.split('|');
  const ok = rs.filter((r) => r.results.verified);
  const oursKey = [scenario, k, OURS].join('|');
  for (const [mname, get] of metrics[scenario] || []) {
    const xs = ok.map(get).filter((x) => typeof x === 'number');
    let ratio = '';
    if (label !== OURS && groups.has(oursKey)) {
      const o = medianOf(oursKey, get);
      const t = xs.length ? median(xs) : null;
      if (o !== null && t) ratio = `${(o / t).toFixed(2)}×`;
    }
    console.log(
      `| ${scenario} | ${k} | ${label} | ${rs[0].version} | ${ok.length}/${rs.length} | ${mname} | ${cell(xs)} | ${ratio} |`,
    );
  }
}
const la = rows
  .flatMap((r) => [r.env?.loadavg_start?.[0], r.env?.loadavg_end?.[0]])
  .filter((x) => typeof x === 'number');
const first = rows[0]?.env;
console.log('');
console.log(
  `runs: ${rows.length}, verified: ${rows.filter((r) => r.results.verified).length}; ` +
    `1-min loadavg at run start/end: min ${fmt(Math.min(...la))}, median ${fmt(median(la))}, max ${fmt(Math.max(...la))}; ` +
    `node ${first?.node}, cpus ${first?.cpus}, postgres ${first?.postgres}`,
);
console.log(
  'ratio column: median of ours ÷ median of that row (throughput: >1 = ours faster; latency: <1 = ours faster).',
);
