// Turns the harness's JSON lines into tables, ratios against the peers, fractions of the database
// limit, and the checklist of the performance targets (issue 15).
const OURS = 'nest-jobs';
/** Peers at their documented settings; the "best tuning" labels are reported but not in the peer max. */
const DOCUMENTED = ['graphile', 'pgboss', 'bullmq-pg'];

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? null : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, digits = 0) =>
  x === null || x === undefined ? 'n/a' : x.toLocaleString('en-US', { maximumFractionDigits: digits });

/** Median of `get` over the verified runs of (label, scenario, K). */
export function medianOf(rows, label, scenario, k, get) {
  const xs = rows
    .filter((r) => r.label === label && r.scenario === scenario && (k === null || r.concurrency === k))
    .filter((r) => r.results.verified)
    .map(get)
    .filter((x) => typeof x === 'number');
  return median(xs);
}

const tput = (r) => r.results.jobs_per_sec;
const p50 = (r) => r.results.latency_ms?.p50;
const p99 = (r) => r.results.latency_ms?.p99;
const single = (r) => r.results.single?.jobs_per_sec;
const bulk = (r) => r.results.bulk?.jobs_per_sec;

function bestPeer(rows, scenario, k, get, better = (a, b) => a > b) {
  let best = null;
  for (const label of DOCUMENTED) {
    const v = medianOf(rows, label, scenario, k, get);
    if (v !== null && (best === null || better(v, best.value))) best = { label, value: v };
  }
  return best;
}

export function report(rows, limits, ks) {
  const labels = [...new Set(rows.map((r) => r.label))].sort(
    (a, b) => (a !== OURS) - (b !== OURS) || a.localeCompare(b),
  );
  const lines = [];
  const targets = [];
  const check = (name, ok, detail) =>
    targets.push(`| ${name} | ${ok === null ? 'n/a' : ok ? 'met' : '**not met**'} | ${detail} |`);

  lines.push('### Throughput (jobs/s, no-op handler, median of verified runs)', '');
  lines.push(`| system | ${ks.map((k) => `K=${k}`).join(' | ')} |`, `|---|${ks.map(() => '---').join('|')}|`);
  for (const label of labels) {
    const cells = ks.map((k) => fmt(medianOf(rows, label, 'throughput', k, tput)));
    if (cells.some((c) => c !== 'n/a')) lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  for (const k of ks) {
    const ours = medianOf(rows, OURS, 'throughput', k, tput);
    const peer = bestPeer(rows, 'throughput', k, tput);
    const limit = limits?.claim_complete_100;
    const frac =
      ours !== null && limit
        ? ` (${((100 * ours) / limit).toFixed(0)} % of the database's claim+complete limit at batch 100)`
        : '';
    if (ours !== null && peer) {
      const ratio = ours / peer.value;
      lines.push(`- K=${k}: ours ${fmt(ours)} = ${ratio.toFixed(2)}× ${peer.label} (${fmt(peer.value)})${frac}`);
      check(`throughput K=${k} ≥ 1.5× best peer`, ratio >= 1.5, `${ratio.toFixed(2)}× ${peer.label}`);
    }
  }
  const lq = medianOf(rows, 'graphile-lq500', 'throughput', 16, tput);
  const ours16 = medianOf(rows, OURS, 'throughput', 16, tput);
  if (lq !== null && ours16 !== null) {
    lines.push(
      `- K=16: ours = ${(ours16 / lq).toFixed(2)}× graphile-worker's best tuning (localQueue 500, ${fmt(lq)})`,
    );
    check('throughput K=16 ≥ 1.2× graphile localQueue 500', ours16 / lq >= 1.2, `${(ours16 / lq).toFixed(2)}×`);
  }
  const pb = medianOf(rows, 'pgboss-batch1000', 'throughput', 16, tput);
  if (pb !== null && ours16 !== null)
    lines.push(`- K=16: ours = ${(ours16 / pb).toFixed(2)}× pg-boss batchSize 1000 (${fmt(pb)})`);

  lines.push('', '### Latency, enqueue to start, idle workers (ms)', '', '| system | p50 | p99 |', '|---|---|---|');
  for (const label of labels) {
    const a = medianOf(rows, label, 'latency', null, p50);
    if (a !== null) lines.push(`| ${label} | ${fmt(a, 2)} | ${fmt(medianOf(rows, label, 'latency', null, p99), 2)} |`);
  }
  const l50 = medianOf(rows, OURS, 'latency', null, p50);
  const l99 = medianOf(rows, OURS, 'latency', null, p99);
  if (l50 !== null) {
    check('latency p50 ≤ 1.0 ms', l50 <= 1.0, `${fmt(l50, 2)} ms`);
    check('latency p99 ≤ 3 ms', l99 <= 3, `${fmt(l99, 2)} ms`);
  }

  lines.push(
    '',
    '### Enqueue (jobs/s)',
    '',
    '| system | one at a time, 16 callers | bulk (1,000 per call) |',
    '|---|---|---|',
  );
  for (const label of labels) {
    const a = medianOf(rows, label, 'enqueue', null, single);
    if (a !== null) lines.push(`| ${label} | ${fmt(a)} | ${fmt(medianOf(rows, label, 'enqueue', null, bulk))} |`);
  }
  for (const [what, get, factor, limitKey] of [
    ['single enqueue, 16 callers', single, 5, 'insert_one_16'],
    ['bulk enqueue', bulk, 2, 'insert_many_1000'],
  ]) {
    const ours = medianOf(rows, OURS, 'enqueue', null, get);
    const peer = bestPeer(rows, 'enqueue', null, get);
    if (ours !== null && peer) {
      const ratio = ours / peer.value;
      const limit = limits?.[limitKey];
      lines.push(
        `- ${what}: ours ${fmt(ours)} = ${ratio.toFixed(2)}× ${peer.label}${limit ? `, ${((100 * ours) / limit).toFixed(0)} % of the database limit (${fmt(limit)})` : ''}`,
      );
      check(`${what} ≥ ${factor}× best peer`, ratio >= factor, `${ratio.toFixed(2)}× ${peer.label}`);
    }
  }
  if (limits) {
    lines.push('', '### The database itself (pgbench, jobs/s)', '');
    for (const [k, v] of Object.entries(limits)) lines.push(`- ${k}: ${fmt(v)}`);
  }
  lines.push('', '### Targets', '', '| target | | measured |', '|---|---|---|', ...targets);
  return lines.join('\n');
}
