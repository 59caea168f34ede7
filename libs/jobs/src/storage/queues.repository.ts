import type { Database } from './database';
import { queueStatements } from './statements/queues.sql';
import { withValues } from './statements/statement';

/** A queue's settings row (`<schema>.queues`). */
export interface QueueSettingsRow {
  name: string;
  paused: boolean;
  paused_at: Date | null;
  paused_by: string | null;
  updated_at: Date;
  /** Per-node concurrency set at run time (`PATCH /queues/:name`); null: each node's own. */
  concurrency: number | null;
}

/** Queue settings: pause and resume (every node reads them in its claim). */
export class QueuesRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = queueStatements(db.names);
  }

  async pause(queue: string, actor: string | null): Promise<QueueSettingsRow> {
    return (await this.db.query<QueueSettingsRow>(withValues(this.sql.pause, [queue, actor]))).rows[0];
  }

  /** Resumes the queue and wakes its workers on every node. */
  async resume(queue: string): Promise<QueueSettingsRow> {
    const row = (await this.db.query<QueueSettingsRow>(withValues(this.sql.resume, [queue]))).rows[0];
    await this.db.query(withValues(this.sql.forgetDefaults, [queue]));
    return row;
  }

  async list(): Promise<QueueSettingsRow[]> {
    return (await this.db.query<QueueSettingsRow>(this.sql.list)).rows;
  }
}
