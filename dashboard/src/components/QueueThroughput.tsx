import { useSeries } from '../api/queries';
import { TimeSeriesChart } from './TimeSeriesChart';

/** One queue's completed and failed jobs per minute over the last hour. */
export function QueueThroughput({ queue }: { queue: string }) {
  const series = useSeries(60, queue);
  const points = series.data?.points ?? [];
  if (points.length === 0) return null;
  return (
    <div className="queue-throughput" data-queue={queue}>
      <TimeSeriesChart
        title="Per minute, last hour"
        height={110}
        times={points.map((p) => Math.floor(new Date(p.at).getTime() / 1000))}
        series={[
          { label: 'completed', colorVar: '--ok', values: points.map((p) => p.completed) },
          { label: 'failed', colorVar: '--bad', values: points.map((p) => p.failed) },
        ]}
      />
    </div>
  );
}
