/** The part of a TanStack infinite query that paging needs. */
interface PagedQuery {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage(): Promise<unknown>;
}

/** Cursor pagination: the next page is appended. `count` is what the view shows. */
export function LoadMore({ query, count }: { query: PagedQuery; count: number }) {
  return (
    <div className="load-more">
      <span className="muted">{count.toLocaleString()} shown</span>
      {query.hasNextPage && (
        <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
          {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
