interface Props {
  hasMore: boolean;
  loading: boolean;
  count: number;
  onLoad(): void;
}

/** Cursor pagination: the next page is appended. */
export function LoadMore({ hasMore, loading, count, onLoad }: Props) {
  return (
    <div className="load-more">
      <span className="muted">{count.toLocaleString()} shown</span>
      {hasMore && (
        <button type="button" onClick={onLoad} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}
