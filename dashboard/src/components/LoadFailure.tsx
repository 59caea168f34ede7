import { errorMessage } from '../api/client';

/** The part of a TanStack query that a failed load needs. */
interface LoadedQuery {
  isError: boolean;
  error: unknown;
  /** When the data shown was loaded (0: never). */
  dataUpdatedAt: number;
  isFetching: boolean;
  refetch(): Promise<unknown>;
}

interface Props {
  query: LoadedQuery;
  /** What could not be loaded, for the reader ("the job list"). */
  what: string;
  /** The API call that failed ("GET /api/jobs"). */
  call: string;
}

/**
 * Says that a view's data could not be loaded: which call, why (the API's message and status), and
 * a retry. When older data is still shown, says from when; otherwise the view shows no list at all
 * (never "no jobs match" for an answer that never came).
 */
export function LoadFailure({ query, what, call }: Props) {
  if (!query.isError) return null;
  const shown = query.dataUpdatedAt > 0 ? new Date(query.dataUpdatedAt).toLocaleTimeString() : null;
  return (
    <div className="notice error load-failure" role="alert">
      <p>
        Could not load {what} (<code>{call}</code>): {errorMessage(query.error)}
        {shown ? ` Showing what was loaded at ${shown}.` : ''}
      </p>
      <button type="button" onClick={() => void query.refetch()} disabled={query.isFetching}>
        {query.isFetching ? 'Retrying…' : 'Retry'}
      </button>
    </div>
  );
}

/** Whether a query has data that answers its current request (not a failure, not another filter's). */
export function hasAnswer(query: { data?: unknown; isPlaceholderData: boolean; isError: boolean }): boolean {
  return query.data !== undefined && !(query.isError && query.isPlaceholderData);
}
