import type { Logger } from '@nestjs/common';
import type { JobsRegistry } from '../core/handler-registry';
import type { ResolvedJobsOptions } from '../core/module-options';
import { toScheduleRow } from '../core/schedule-input';
import { InvalidJobHandlerError, InvalidJobOptionsError } from '../errors';
import type { NewScheduleRow } from '../interfaces';
import type { JobsStorage } from '../storage/jobs-storage';

/**
 * The schedules this node's code declares (`@JobHandler(type, { schedule })`), checked: a bad
 * declaration, or two with one name, fails the start naming the class.
 */
export function declaredSchedules(registry: JobsRegistry, options: ResolvedJobsOptions): NewScheduleRow[] {
  const rows = new Map<string, { row: NewScheduleRow; owner: string }>();
  for (const { metadata, name: owner } of registry.all()) {
    const list = metadata.schedule === undefined ? [] : [metadata.schedule].flat();
    for (const declaration of list) {
      const where = `@JobHandler('${metadata.type}') on ${owner}`;
      const name = declaration.name ?? metadata.type;
      let row: NewScheduleRow;
      try {
        row = toScheduleRow({ ...declaration, name, type: metadata.type }, registry, options);
      } catch (err) {
        if (!(err instanceof InvalidJobOptionsError)) throw err;
        throw new InvalidJobHandlerError(`${where}: schedule "${name}": ${err.message}`);
      }
      const taken = rows.get(name);
      if (taken) {
        throw new InvalidJobHandlerError(
          `${where}: schedule "${name}" is declared twice (also by ${taken.owner}); give each schedule its own name`,
        );
      }
      rows.set(name, { row, owner });
    }
  }
  return [...rows.values()].map((r) => r.row);
}

/**
 * Start-up reconciliation of code schedules, safe while several versions of the code run side by
 * side (a rolling deploy):
 * - every schedule the code declares is written when it is new or its definition changed (the
 *   node that started last wins; its next tick is recomputed only when the cadence changed);
 * - a code schedule whose job type this node handles but no longer declares is marked *removed
 *   from code*: it stops firing and keeps its row and history (deleting it is an operator's
 *   decision). A node that declares it again brings it back. A node never touches the schedules of
 *   types it has no handler for: another application on the same schema may own them.
 */
export async function reconcileCodeSchedules(
  storage: JobsStorage,
  registry: JobsRegistry,
  options: ResolvedJobsOptions,
  nodeId: string,
  logger: Logger,
): Promise<void> {
  const rows = declaredSchedules(registry, options);
  const handled = registry.all().map((h) => h.metadata.type);
  if (rows.length === 0 && handled.length === 0) return;
  const { written, removed } = await storage.schedules.reconcile(rows, handled, `code (${nodeId})`);
  for (const { name, inserted } of written)
    logger.log(`Schedule "${name}" ${inserted ? 'created' : 'updated'} from code`);
  for (const name of removed) {
    logger.warn(`Schedule "${name}" is no longer declared in code: it stops firing (delete it, or declare it again)`);
  }
}
