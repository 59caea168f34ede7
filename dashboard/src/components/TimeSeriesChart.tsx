import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** A CSS custom property of styles.css, e.g. `--ok`, so the chart follows dark mode. */
  colorVar: string;
  values: number[];
}

interface Props {
  title: string;
  /** Epoch seconds, ascending. */
  times: number[];
  series: ChartSeries[];
  height?: number;
}

function useColorScheme(): string {
  const [scheme, setScheme] = useState(() =>
    window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light',
  );
  useEffect(() => {
    const query = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (!query) return;
    const onChange = () => setScheme(query.matches ? 'dark' : 'light');
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return scheme;
}

/** A per-minute time series drawn by uPlot (canvas), sized to its container. */
export function TimeSeriesChart({ title, times, series, height = 180 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const scheme = useColorScheme();
  const labels = series.map((s) => `${s.label}:${s.colorVar}`).join('|');

  // (Re)create the chart when its series or the colour scheme change.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const css = getComputedStyle(el);
    const color = (name: string) => css.getPropertyValue(name).trim() || 'gray';
    const axis = { stroke: color('--muted'), grid: { stroke: color('--grid'), width: 1 }, ticks: { show: false } };
    const chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [axis, { ...axis, size: 40 }],
        series: [
          {},
          ...labels.split('|').map((entry) => {
            const [label, colorVar] = entry.split(':');
            return { label, stroke: color(colorVar), width: 2, fill: `${color(colorVar)}22`, points: { show: false } };
          }),
        ],
      },
      [[], ...labels.split('|').map(() => [])],
      el,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [labels, height, scheme]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)]);
  });

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-canvas" role="img" aria-label={title} />
    </figure>
  );
}
