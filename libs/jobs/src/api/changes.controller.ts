import { Controller, Get, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { isJobId } from '../core/storable';
import { InvalidJobOptionsError } from '../errors';
import { JobsAccessGuard } from './access';
import { ChangeFeedHub, MAX_WATCH_IDS } from './change-feed.hub';
import { JobsExceptionFilter } from './jobs-exception.filter';
import { rawExchange } from './raw-exchange';

/**
 * `GET /changes`: the change feed, as Server-Sent Events. `event: jobs` with
 * `{ changes: [{ id, state, queue, type }], at }` (at most one per second, latest state per job, at
 * most 500), `event: queues` with `{ items, at }` when a queue summary changed (and at connect), and
 * a `: heartbeat` comment every 15 s. `?watch=1,2,3` (at most 1,000 job ids) follows those jobs
 * from the start: their current state is in the first `jobs` message. Written to Node's response
 * under the platform's (Express or Fastify).
 */
@Controller('changes')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard)
export class ChangesController {
  constructor(private readonly hub: ChangeFeedHub) {}

  @Get()
  changes(@Req() platformReq: unknown, @Res() platformRes: unknown, @Query('watch') watch?: unknown): void {
    const ids = parseWatch(watch);
    const { req, res } = rawExchange(platformReq, platformRes);
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no'); // proxies must not buffer the stream
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const unsubscribe = this.hub.subscribe(
      {
        write: (chunk) => res.write(chunk),
        buffered: () => res.writableLength,
        end: () => res.end(),
      },
      ids,
    );
    req.on('close', unsubscribe);
    res.on('close', unsubscribe);
  }
}

/** `watch`: a comma list of job ids (400 with `field: 'watch'` otherwise). */
function parseWatch(watch: unknown): string[] {
  if (watch === undefined || watch === '') return [];
  if (typeof watch !== 'string')
    throw new InvalidJobOptionsError('watch', 'must be given once, as a comma list of job ids');
  const ids = [...new Set(watch.split(',').map((s) => s.trim()))];
  if (ids.length > MAX_WATCH_IDS) throw new InvalidJobOptionsError('watch', `at most ${MAX_WATCH_IDS} ids`);
  if (!ids.every(isJobId)) throw new InvalidJobOptionsError('watch', 'must be a comma list of job ids');
  return ids;
}
