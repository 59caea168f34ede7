import { DuplicateJobHandlerError, InvalidJobHandlerError, InvalidJobOptionsError } from '../errors';
import type { JobHandlerInstance, JobHandlerMetadata } from '../interfaces';
import { LIMITS } from '../jobs.constants';
import { checkName } from './enqueue-input';
import { checkInt } from './module-options';
import { isPayloadValidator } from './payload-validation';

export interface RegisteredHandler {
  metadata: JobHandlerMetadata;
  instance: JobHandlerInstance;
  /** Class name, for messages. */
  name: string;
}

/** The job types this node can run, filled by the explorer at module init. */
export class JobsRegistry {
  private readonly handlers = new Map<string, RegisteredHandler>();

  /** Adds a handler; a bad option or a second handler of the same type is a start-up error. */
  register(handler: RegisteredHandler): void {
    checkMetadata(handler);
    const existing = this.handlers.get(handler.metadata.type);
    if (existing && existing.instance !== handler.instance) {
      throw new DuplicateJobHandlerError(handler.metadata.type, existing.name, handler.name);
    }
    this.handlers.set(handler.metadata.type, handler);
  }

  get(type: string): RegisteredHandler | undefined {
    return this.handlers.get(type);
  }

  all(): RegisteredHandler[] {
    return [...this.handlers.values()];
  }
}

/** The options of `@JobHandler()`, checked like enqueue options, naming the class at fault. */
function checkMetadata({ metadata: m, name }: RegisteredHandler): void {
  try {
    checkName('type', m.type, LIMITS.maxTypeLength);
    if (m.queue !== undefined) checkName('queue', m.queue, LIMITS.maxQueueLength);
    checkInt('maxAttempts', m.maxAttempts, 1, LIMITS.maxAttempts);
    checkInt('timeoutMs', m.timeoutMs, 1, LIMITS.maxDelayMs);
    checkInt('backoff.baseDelayMs', m.backoff?.baseDelayMs, 0, LIMITS.maxDelayMs);
    checkInt('backoff.maxDelayMs', m.backoff?.maxDelayMs, 0, LIMITS.maxDelayMs);
    if (m.validate !== undefined && !isPayloadValidator(m.validate)) {
      throw new InvalidJobOptionsError('validate', 'must be a function or a Standard Schema (with ~standard.validate)');
    }
  } catch (err) {
    if (!(err instanceof InvalidJobOptionsError)) throw err;
    throw new InvalidJobHandlerError(`@JobHandler('${String(m.type)}') on ${name}: ${err.message}`);
  }
}
