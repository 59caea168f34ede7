import type { ReactNode } from 'react';
import type { JobSummary, SortKey } from '../api/types';
import { formatDuration } from '../format';
import { useWindowedRows } from '../hooks/useWindowedRows';
import { Link } from '../router';
import { RelativeTime } from './RelativeTime';
import { SortHeader, type ListSort } from './SortHeader';
import { StateBadge } from './StateBadge';

/** Loaded rows from which only those in view are drawn. */
const WINDOW_FROM = 300;
const ROW_HEIGHT = 34;

interface Props {
  jobs: JobSummary[];
  /** Shows "next run" instead of "created" (scheduled jobs). */
  showRunAt?: boolean;
  selected?: ReadonlySet<string>;
  onToggle?(id: string): void;
  onToggleAll?(ids: string[], select: boolean): void;
  /** The list's order and the sorts the current filter allows (server side). */
  sort?: ListSort;
  sortable?: SortKey[];
  onSort?(sort: ListSort): void;
  /** Buttons at the end of a row (run now, delete…). */
  rowActions?(job: JobSummary): ReactNode;
  /** Said when there are no rows (the API's hint for a search that matched nothing). */
  emptyText?: string;
}

/** Jobs as rows; payload preview and last error as plain text; long lists drawn as they scroll. */
export function JobsTable(props: Props) {
  const { jobs, showRunAt, selected, onToggle, onToggleAll, sortable = [], onSort, rowActions } = props;
  const sort = props.sort ?? { sort: 'id', order: 'desc' };
  const rows = useWindowedRows(jobs.length, ROW_HEIGHT, 30, WINDOW_FROM);
  if (jobs.length === 0) return <p className="muted empty">{props.emptyText ?? 'No jobs match.'}</p>;
  const can = (key: SortKey) => (sortable.includes(key) ? key : undefined);
  const allSelected = jobs.every((job) => selected?.has(job.id));
  const columns = 9 + (onToggle ? 1 : 0) + (rowActions ? 1 : 0);
  return (
    <div
      className={`table-wrap${rows.windowed ? ' windowed' : ''}`}
      onScroll={rows.windowed ? rows.onScroll : undefined}
    >
      <table className="jobs-table" data-rows={jobs.length}>
        <thead>
          <tr>
            {onToggle && (
              <th>
                {onToggleAll && (
                  <input
                    type="checkbox"
                    aria-label="select every loaded job"
                    checked={allSelected}
                    onChange={() =>
                      onToggleAll(
                        jobs.map((j) => j.id),
                        !allSelected,
                      )
                    }
                  />
                )}
              </th>
            )}
            <th>id</th>
            <th>queue</th>
            <th>type</th>
            <th>state</th>
            <th className="num">attempts</th>
            {showRunAt ? (
              <SortHeader label="next run" sortKey={can('runAt')} current={sort} onSort={onSort} />
            ) : (
              <SortHeader label="created" sortKey={can('id')} current={sort} onSort={onSort} />
            )}
            <SortHeader label="finished" sortKey={can('finishedAt')} current={sort} onSort={onSort} />
            <th className="num" title="finished minus started, of the last run">
              duration
            </th>
            <th>payload / last error</th>
            {rowActions && <th aria-label="actions" />}
          </tr>
        </thead>
        <tbody>
          {rows.padTop > 0 && (
            <tr aria-hidden="true" style={{ height: rows.padTop }}>
              <td colSpan={columns} />
            </tr>
          )}
          {jobs.slice(rows.start, rows.end).map((job) => (
            <tr key={job.id} data-job-id={job.id} data-state={job.state}>
              {onToggle && (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`select job ${job.id}`}
                    checked={selected?.has(job.id) ?? false}
                    onChange={() => onToggle(job.id)}
                  />
                </td>
              )}
              <td>
                <Link to={`/jobs/${job.id}`}>{job.id}</Link>
              </td>
              <td className="queue">{job.queue}</td>
              <td>{job.type}</td>
              <td>
                <StateBadge state={job.state} />
              </td>
              <td className="num">
                {job.attempts}/{job.maxAttempts}
              </td>
              <td className={showRunAt ? 'run-at' : 'created'}>
                <RelativeTime at={showRunAt ? job.runAt : job.createdAt} />
              </td>
              <td className="finished">
                <RelativeTime at={job.finishedAt} />
              </td>
              <td className="num duration">{formatDuration(job.durationMs)}</td>
              <td className="preview">
                {job.lastError && job.state !== 'completed' ? (
                  <span className="error-text">{job.lastError}</span>
                ) : (
                  <code>{job.payloadPreview}</code>
                )}
              </td>
              {rowActions && <td className="row-actions">{rowActions(job)}</td>}
            </tr>
          ))}
          {rows.padBottom > 0 && (
            <tr aria-hidden="true" style={{ height: rows.padBottom }}>
              <td colSpan={columns} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
