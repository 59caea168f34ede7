import { useMemo, type ReactNode } from 'react';

// Strings (keys apart), numbers and literals of JSON text, coloured by class; everything is text
// nodes, never HTML. Text that is not JSON is coloured the same way where it looks like it.
const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

function tokens(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const start = match.index;
    if (start > last) out.push(text.slice(last, start));
    const [whole, string, colon, number, literal] = match;
    const key = out.length;
    if (string !== undefined) {
      out.push(
        <span key={key} className={colon ? 'json-key' : 'json-string'}>
          {string}
        </span>,
      );
      if (colon) out.push(colon);
    } else if (number !== undefined) {
      out.push(
        <span key={key} className="json-number">
          {number}
        </span>,
      );
    } else if (literal !== undefined) {
      out.push(
        <span key={key} className="json-literal">
          {literal}
        </span>,
      );
    }
    last = start + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** JSON text with its tokens coloured. */
export function HighlightedJson({ text }: { text: string }) {
  const nodes = useMemo(() => tokens(text), [text]);
  return <>{nodes}</>;
}
