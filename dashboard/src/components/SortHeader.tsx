import type { SortKey } from '../api/types';

export interface ListSort {
  sort: SortKey;
  order: 'asc' | 'desc';
}

interface Props {
  label: string;
  /** The sort this column stands for; undefined: the column cannot sort with the current filter. */
  sortKey?: SortKey;
  current: ListSort;
  onSort?(sort: ListSort): void;
  className?: string;
  title?: string;
}

/** A column heading; a button that sorts by it (server side) when the list can be sorted so. */
export function SortHeader({ label, sortKey, current, onSort, className, title }: Props) {
  if (!sortKey || !onSort) {
    return (
      <th className={className} title={title}>
        {label}
      </th>
    );
  }
  const active = current.sort === sortKey;
  const next: ListSort = {
    sort: sortKey,
    order: active ? (current.order === 'asc' ? 'desc' : 'asc') : sortKey === 'runAt' ? 'asc' : 'desc',
  };
  return (
    <th
      className={className}
      title={title}
      aria-sort={active ? (current.order === 'asc' ? 'ascending' : 'descending') : 'none'}
    >
      <button type="button" className="sort" onClick={() => onSort(next)}>
        {label} {active ? (current.order === 'asc' ? '▲' : '▼') : ''}
      </button>
    </th>
  );
}
