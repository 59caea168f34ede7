import { useCallback, useState, type UIEvent } from 'react';

/** Rows drawn above and below the visible ones, so that a fast scroll shows no gap. */
const OVERSCAN = 20;

export interface RowWindow {
  /** Whether the list is windowed at all (short lists render every row). */
  windowed: boolean;
  start: number;
  end: number;
  /** Height of the blank space standing in for the rows above and below the window. */
  padTop: number;
  padBottom: number;
  onScroll(event: UIEvent<HTMLElement>): void;
}

/**
 * Renders only the rows in view of a scrolling container (rows of a fixed height): a list of
 * thousands of loaded jobs stays a few dozen DOM rows.
 */
export function useWindowedRows(count: number, rowHeight: number, viewportRows: number, from: number): RowWindow {
  const [first, setFirst] = useState(0);
  const onScroll = useCallback(
    (event: UIEvent<HTMLElement>) => setFirst(Math.floor(event.currentTarget.scrollTop / rowHeight)),
    [rowHeight],
  );
  if (count < from) return { windowed: false, start: 0, end: count, padTop: 0, padBottom: 0, onScroll };
  const start = Math.max(0, Math.min(first, count - 1) - OVERSCAN);
  const end = Math.min(count, first + viewportRows + OVERSCAN);
  return {
    windowed: true,
    start,
    end,
    padTop: start * rowHeight,
    padBottom: (count - end) * rowHeight,
    onScroll,
  };
}
