import { useId, useState } from 'react';

interface Props {
  initial: unknown;
  submitLabel: string;
  busy?: boolean;
  onSubmit(payload: unknown): void;
  onCancel(): void;
}

/** A JSON text area checked as the user types; submits the parsed value. */
export function PayloadEditor({ initial, submitLabel, busy, onSubmit, onCancel }: Props) {
  const id = useId();
  const [text, setText] = useState(() => JSON.stringify(initial, null, 2) ?? 'null');
  let parsed: { ok: true; value: unknown } | { ok: false; message: string };
  try {
    parsed = { ok: true, value: JSON.parse(text) };
  } catch (err) {
    parsed = { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
  return (
    <form
      className="payload-editor"
      onSubmit={(event) => {
        event.preventDefault();
        if (parsed.ok) onSubmit(parsed.value);
      }}
    >
      <label htmlFor={id}>Payload (JSON)</label>
      <textarea
        id={id}
        value={text}
        spellCheck={false}
        rows={Math.min(20, Math.max(4, text.split('\n').length))}
        onChange={(event) => setText(event.target.value)}
      />
      {!parsed.ok && <p className="notice error">Not valid JSON: {parsed.message}</p>}
      <div className="row">
        <button type="submit" className="primary" disabled={!parsed.ok || busy}>
          {submitLabel}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
