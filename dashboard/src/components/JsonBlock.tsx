import { useState } from 'react';
import { formatBytes } from '../format';
import { CopyButton } from './CopyButton';
import { HighlightedJson } from './HighlightedJson';

/** Characters shown before "Show all" (a pretty-printed payload can be megabytes). */
const SHOWN_CHARS = 20_000;
/** Above this size the text is shown plain: colouring hundreds of thousands of tokens freezes the page. */
const HIGHLIGHT_MAX_CHARS = 50_000;

interface Props {
  value: unknown;
  label?: string;
  /** Shows the whole text from the start (the reader already asked for all of it). */
  expanded?: boolean;
}

/** A value pretty-printed as JSON text (never as HTML), cut when long, with "Show all" and "Copy". */
export function JsonBlock({ value, label, expanded = false }: Props) {
  const [all, setAll] = useState(expanded);
  const text = typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value));
  const cut = !all && !expanded && text.length > SHOWN_CHARS;
  const shown = cut ? `${text.slice(0, SHOWN_CHARS)}…` : text;
  return (
    <div className="json-block">
      <div className="row json-tools">
        <span className="muted small grow">{formatBytes(text.length)}</span>
        <CopyButton text={text} />
        {cut && (
          <button type="button" onClick={() => setAll(true)}>
            Show all ({formatBytes(text.length)})
          </button>
        )}
      </div>
      <pre aria-label={label} data-highlighted={shown.length <= HIGHLIGHT_MAX_CHARS}>
        {shown.length <= HIGHLIGHT_MAX_CHARS ? <HighlightedJson text={shown} /> : shown}
      </pre>
    </div>
  );
}
