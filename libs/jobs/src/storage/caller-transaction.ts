import type { EntityManager } from 'typeorm';
import { InvalidJobOptionsError } from '../errors';
import type { Query, Queryable } from './database';

/**
 * A caller's TypeORM EntityManager as a `Queryable`, for transactional enqueue: statements run on
 * the manager's connection inside its transaction, as unnamed statements (nothing is prepared on a
 * connection the module does not own). Their `pg_notify` is delivered when that transaction commits,
 * and not at all if it rolls back. Throws `InvalidJobOptionsError` (field `manager`) for anything
 * but an EntityManager of a PostgreSQL connection in an active transaction.
 */
export function managerQueryable(manager: unknown): Queryable {
  const m = manager as Partial<EntityManager> | null;
  if (typeof m !== 'object' || m === null || typeof m.query !== 'function' || typeof m.connection !== 'object') {
    throw new InvalidJobOptionsError('manager', 'must be a TypeORM EntityManager');
  }
  const type = m.connection?.options?.type;
  if (type !== 'postgres') {
    throw new InvalidJobOptionsError('manager', `must belong to a PostgreSQL connection, got "${String(type)}"`);
  }
  if (!m.queryRunner?.isTransactionActive) {
    throw new InvalidJobOptionsError(
      'manager',
      'must be in a transaction: use the manager of `dataSource.transaction(async (manager) => …)` ' +
        '(without one, enqueue without `manager`)',
    );
  }
  const query = m.query.bind(m);
  return {
    async query<R>(config: Query): Promise<{ rows: R[] }> {
      // TypeORM answers a SELECT (every enqueue statement is one, writes are in its CTEs) with its rows.
      return { rows: (await query(config.text, config.values)) as R[] };
    },
  };
}
