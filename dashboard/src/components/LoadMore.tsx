import { PAGE_SIZES } from '../views/filterFromParams';

/** The part of a TanStack infinite query that paging needs. */
interface PagedQuery {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage(): Promise<unknown>;
}

interface Props {
  query: PagedQuery;
  /** What the view shows. */
  count: number;
  pageSize?: number;
  onPageSize?(size: number): void;
}

/** Cursor pagination: the next page is appended; the page size is the reader's choice. */
export function LoadMore({ query, count, pageSize, onPageSize }: Props) {
  return (
    <div className="load-more">
      <span className="muted shown-count">
        {count.toLocaleString()} shown{query.hasNextPage ? ', more match' : ''}
      </span>
      {query.hasNextPage && (
        <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? 'Loading…' : `Load ${pageSize ?? ''} more`.replace('  ', ' ')}
        </button>
      )}
      {pageSize !== undefined && onPageSize && (
        <label className="small">
          Page size{' '}
          <select value={pageSize} onChange={(e) => onPageSize(Number(e.target.value))}>
            {PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
      )}
    </div>
  );
}
