import { InvalidJobOptionsError } from '../errors';
import type { PayloadValidator, StandardSchemaIssue } from '../interfaces';
import type { JobsRegistry } from './handler-registry';

/** Longest reason quoted from a validator. */
const MAX_REASON = 300;

/**
 * Checks `payload` with the `validate` option of its type's handler, if this node has one that
 * declares it; undefined (nothing to wait for) otherwise, so that enqueueing a type without a
 * validator costs nothing. Rejects with `InvalidJobOptionsError` naming `field` (and the path of
 * the first issue a schema reports).
 */
export function validatePayload(
  registry: JobsRegistry,
  type: string,
  payload: unknown,
  field = 'payload',
): Promise<void> | undefined {
  const validator = registry.get(type)?.metadata.validate;
  return validator ? runValidator(validator, payload, field) : undefined;
}

/** Whether `value` can be a `validate` option (checked when the handler registers). */
export function isPayloadValidator(value: unknown): value is PayloadValidator {
  if (typeof value === 'function') return true;
  const standard = (value as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  return standard?.version === 1 && typeof standard.validate === 'function';
}

async function runValidator(validator: PayloadValidator, payload: unknown, field: string): Promise<void> {
  let outcome: unknown;
  try {
    outcome =
      typeof validator === 'function' ? await validator(payload) : await validator['~standard'].validate(payload);
  } catch (err) {
    throw new InvalidJobOptionsError(field, cut(err instanceof Error ? err.message : String(err)));
  }
  if (typeof validator === 'function') {
    if (outcome === false) throw new InvalidJobOptionsError(field, 'is refused by its handler’s validate check');
    if (typeof outcome === 'string') throw new InvalidJobOptionsError(field, cut(outcome));
    return;
  }
  const issues = (outcome as { issues?: readonly StandardSchemaIssue[] }).issues;
  if (!issues || issues.length === 0) return;
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new InvalidJobOptionsError(pathOf(field, first.path), cut(`${first.message}${more}`));
}

/** `payload.a[0].b` from a Standard Schema path. */
function pathOf(field: string, path: StandardSchemaIssue['path']): string {
  let out = field;
  for (const segment of path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  }
  return out.slice(0, 200);
}

function cut(reason: string): string {
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;
}
