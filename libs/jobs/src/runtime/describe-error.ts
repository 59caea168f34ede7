import { PermanentJobError } from '../errors';

export interface DescribedError {
  message: string;
  stack: string | null;
  permanent: boolean;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** What a handler threw, as text for the attempt history, whatever it was: an Error, a string,
 * an object, `undefined`. */
export function describeError(thrown: unknown): DescribedError {
  if (thrown instanceof Error) {
    const permanent = thrown instanceof PermanentJobError || thrown.name === 'PermanentJobError';
    return { message: thrown.message || thrown.name, stack: thrown.stack ?? null, permanent };
  }
  return { message: `Non-Error value thrown: ${safeJson(thrown)}`.slice(0, 10_000), stack: null, permanent: false };
}
