import type { TruncatedPayload } from '../api/types';
import { formatBytes } from '../format';
import { JsonBlock } from './JsonBlock';

function isTruncated(payload: unknown): payload is TruncatedPayload {
  return typeof payload === 'object' && payload !== null && (payload as { truncated?: unknown }).truncated === true;
}

interface Props {
  payload: unknown;
  /** The reader asked for the whole payload (it is being fetched, or here). */
  full: boolean;
  /** Asks the API for the whole payload (`?full=1`). */
  onShowAll(): void;
}

/**
 * The payload pretty-printed; a payload the API cut (over 256 KiB) shows its preview and one
 * "Show all", which fetches it whole and shows all of it.
 */
export function PayloadView({ payload, full, onShowAll }: Props) {
  if (isTruncated(payload)) {
    return (
      <div>
        <p className="notice">
          Large payload ({formatBytes(payload.size)}): showing the first part.{' '}
          <button type="button" onClick={onShowAll} disabled={full}>
            {full ? 'Loading…' : 'Show all'}
          </button>
        </p>
        <JsonBlock value={payload.preview} label="payload" />
      </div>
    );
  }
  return <JsonBlock value={payload} label="payload" expanded={full} />;
}
