import { useQueues, useSeries, useNodes } from '../api/queries';
import { LoadFailure } from '../components/LoadFailure';
import { ProblemsPanel } from '../components/ProblemsPanel';
import { QueueCountsTable } from '../components/QueueCountsTable';
import { TimeSeriesChart } from '../components/TimeSeriesChart';
import { NodesList } from '../components/NodesList';
import { useSearchParams } from '../router';

const WINDOWS = [15, 60, 360, 1440];

/** Problems first; then queues with counts beside the live nodes; then activity over time. */
export function OverviewView() {
  const [params, setParams] = useSearchParams();
  const minutes = Number(params.get('minutes')) || 60;
  const queues = useQueues();
  const nodes = useNodes();
  const series = useSeries(minutes);
  const points = series.data?.points ?? [];
  const times = points.map((p) => Math.floor(new Date(p.at).getTime() / 1000));

  return (
    <div className="view overview">
      <section>
        <h2>Problems</h2>
        {queues.isPending && <p className="muted">Loading…</p>}
        {queues.isError && !queues.data && (
          <p className="notice error" role="alert">
            Problems are unknown: the queues could not be loaded (below).
          </p>
        )}
        {queues.data && <ProblemsPanel queues={queues.data.items} nodes={nodes.data?.items} />}
      </section>
      <div className="overview-top">
        <section>
          <h2>Queues</h2>
          <LoadFailure query={queues} what="the queues" call="GET /api/queues" />
          {queues.isPending && <p className="muted">Loading…</p>}
          {queues.data && <QueueCountsTable queues={queues.data.items} nodes={nodes.data?.items} />}
        </section>
        <section>
          <h2>Live nodes {nodes.data && <span className="muted">({nodes.data.items.length})</span>}</h2>
          <LoadFailure query={nodes} what="the live nodes" call="GET /api/nodes" />
          {nodes.data && <NodesList nodes={nodes.data.items} />}
        </section>
      </div>
      <section>
        <div className="section-head">
          <h2>Activity</h2>
          <label className="small">
            Window{' '}
            <select value={minutes} onChange={(e) => setParams({ minutes: e.target.value })}>
              {WINDOWS.map((m) => (
                <option key={m} value={m}>
                  {m < 60 ? `${m} min` : `${m / 60} h`}
                </option>
              ))}
            </select>
          </label>
        </div>
        <LoadFailure query={series} what="the activity" call="GET /api/stats/series" />
        <div className="charts">
          <TimeSeriesChart
            title="Throughput (jobs completed per minute, all queues)"
            times={times}
            series={[{ label: 'completed', colorVar: '--ok', values: points.map((p) => p.completed) }]}
          />
          <TimeSeriesChart
            title="Failures and retries per minute, all queues"
            times={times}
            series={[
              { label: 'failed', colorVar: '--bad', values: points.map((p) => p.failed) },
              { label: 'retried', colorVar: '--warn', values: points.map((p) => p.retried) },
            ]}
          />
        </div>
      </section>
    </div>
  );
}
