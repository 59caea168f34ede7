import { DuplicateJobHandlerError } from '../errors';
import type { JobHandlerInstance, JobHandlerMetadata } from '../interfaces';

export interface RegisteredHandler {
  metadata: JobHandlerMetadata;
  instance: JobHandlerInstance;
  /** Class name, for messages. */
  name: string;
}

/** The job types this node can run, filled by the explorer at module init. */
export class JobsRegistry {
  private readonly handlers = new Map<string, RegisteredHandler>();

  register(handler: RegisteredHandler): void {
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
