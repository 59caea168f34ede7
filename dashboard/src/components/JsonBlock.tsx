import { useState } from 'react';
import { formatBytes } from '../format';

/** Characters shown before "Show all" (a pretty-printed payload can be megabytes). */
const SHOWN_CHARS = 20_000;

/** A value pretty-printed as JSON text (never as HTML), cut when long, with "Show all". */
export function JsonBlock({ value, label }: { value: unknown; label?: string }) {
  const [all, setAll] = useState(false);
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
  const cut = !all && text.length > SHOWN_CHARS;
  return (
    <div className="json-block">
      <pre aria-label={label}>{cut ? `${text.slice(0, SHOWN_CHARS)}…` : text}</pre>
      {cut && (
        <button type="button" onClick={() => setAll(true)}>
          Show all ({formatBytes(text.length)})
        </button>
      )}
    </div>
  );
}
