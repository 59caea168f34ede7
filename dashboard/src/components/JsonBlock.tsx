import { useMemo, useState } from 'react';
import { formatBytes } from '../format';
import { boundedJson } from './boundedJson';
import { CopyButton } from './CopyButton';
import { HighlightedJson } from './HighlightedJson';

/** Characters shown before "Show all" (a pretty-printed payload can be megabytes). */
const SHOWN_CHARS = 20_000;
/** Characters "Show all" shows at most; past that, Copy gives the whole value. */
const ALL_CHARS = 2_000_000;
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
  const limit = all ? ALL_CHARS : SHOWN_CHARS;
  const pretty = useMemo(
    () =>
      typeof value === 'string'
        ? { text: value.slice(0, limit), complete: value.length <= limit }
        : boundedJson(value, limit),
    [value, limit],
  );
  // Copy and the size take the compact text, which stays as small as the stored payload.
  const whole = useMemo(() => (typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))), [value]);
  const shown = pretty.complete ? pretty.text : `${pretty.text}…`;
  return (
    <div className="json-block">
      <div className="row json-tools">
        <span className="muted small grow">{formatBytes(whole.length)}</span>
        <CopyButton text={whole} />
        {!pretty.complete && !all && (
          <button type="button" onClick={() => setAll(true)}>
            Show all ({formatBytes(whole.length)})
          </button>
        )}
        {!pretty.complete && all && <span className="muted small">Too long to show whole: copy it instead</span>}
      </div>
      <pre aria-label={label} data-highlighted={shown.length <= HIGHLIGHT_MAX_CHARS}>
        {shown.length <= HIGHLIGHT_MAX_CHARS ? <HighlightedJson text={shown} /> : shown}
      </pre>
    </div>
  );
}
