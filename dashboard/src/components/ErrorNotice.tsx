import { errorMessage } from '../api/client';

/** A failed request or action, as text. */
export function ErrorNotice({ error, what }: { error: unknown; what?: string }) {
  if (!error) return null;
  return (
    <p className="notice error" role="alert">
      {what ? `${what}: ` : ''}
      {errorMessage(error)}
    </p>
  );
}
