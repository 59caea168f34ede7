import { useInfiniteQuery } from '@tanstack/react-query';
import { getJson, toQuery } from '../api/client';
import type { AuditEntry } from '../api/types';
import { ErrorNotice } from '../components/ErrorNotice';
import { LoadMore } from '../components/LoadMore';
import { RelativeTime } from '../components/RelativeTime';
import { describeAudit } from './auditText';

/** Deletes, cleans and queue settings, newest first: who did what, even when the jobs are gone. */
export function AuditView() {
  const list = useInfiniteQuery({
    queryKey: ['audit'],
    queryFn: ({ pageParam, signal }) =>
      getJson<{ items: AuditEntry[]; nextCursor: string | null }>(
        `/api/audit${toQuery({ limit: 50, cursor: pageParam })}`,
        signal,
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="view audit">
      <h2>Audit</h2>
      <p className="muted small">
        Deletes, cleans and queue concurrency changes. Replays, cancels and run-now are on each job&apos;s timeline.
      </p>
      <ErrorNotice error={list.error} what="Audit" />
      {list.isPending ? (
        <p className="muted">Loading…</p>
      ) : items.length === 0 ? (
        <p className="muted empty">Nothing recorded yet.</p>
      ) : (
        <div className="table-wrap">
          <table className="audit-table">
            <thead>
              <tr>
                <th>when</th>
                <th>who</th>
                <th>action</th>
                <th>target</th>
                <th>detail</th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <tr key={entry.id} data-action={entry.action}>
                  <td>
                    <RelativeTime at={entry.at} />
                  </td>
                  <td>{entry.actor ?? '—'}</td>
                  <td>{entry.action}</td>
                  <td>{entry.target ?? '—'}</td>
                  <td className="small">{describeAudit(entry.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore query={list} count={items.length} />
    </div>
  );
}
