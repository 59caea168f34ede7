// A line chart of throughput against concurrency, one line per system, as a standalone SVG.
import { medianOf } from './report.mjs';

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#7f7f7f', '#17becf'];

export function throughputChart(rows, ks, title) {
  const labels = [...new Set(rows.filter((r) => r.scenario === 'throughput').map((r) => r.label))].sort(
    (a, b) => (a !== 'nest-jobs') - (b !== 'nest-jobs') || a.localeCompare(b),
  );
  const series = labels
    .map((label) => ({
      label,
      points: ks.map((k) => medianOf(rows, label, 'throughput', k, (r) => r.results.jobs_per_sec)),
    }))
    .filter((s) => s.points.filter((p) => p !== null).length >= 2);
  const W = 720,
    H = 420,
    L = 70,
    R = 200,
    T = 40,
    B = 50;
  const max = Math.max(1, ...series.flatMap((s) => s.points.filter((p) => p !== null)));
  const top = Math.ceil(max / 5000) * 5000;
  const x = (i) => L + (i * (W - L - R)) / Math.max(1, ks.length - 1);
  const y = (v) => H - B - (v / top) * (H - T - B);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="14" font-weight="bold">${title}</text>`,
  ];
  for (let v = 0; v <= top; v += top / 5) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`);
  }
  ks.forEach((k, i) => out.push(`<text x="${x(i)}" y="${H - B + 18}" text-anchor="middle">K=${k}</text>`));
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">concurrency (handlers at once)</text>`);
  out.push(
    `<text x="16" y="${(T + H - B) / 2}" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">jobs/s</text>`,
  );
  series.forEach((s, n) => {
    const color = COLORS[n % COLORS.length];
    const pts = s.points.map((p, i) => (p === null ? null : `${x(i)},${y(p)}`)).filter(Boolean);
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="${s.label === 'nest-jobs' ? 3 : 2}" points="${pts.join(' ')}"/>`,
    );
    s.points.forEach((p, i) => p !== null && out.push(`<circle cx="${x(i)}" cy="${y(p)}" r="3.5" fill="${color}"/>`));
    out.push(`<rect x="${W - R + 16}" y="${T + n * 22}" width="14" height="4" fill="${color}"/>`);
    out.push(`<text x="${W - R + 36}" y="${T + n * 22 + 6}">${s.label}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
