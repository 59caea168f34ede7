import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { JobsAccessGuard } from './access';
import { ChangeFeedHub } from './change-feed.hub';

/**
 * `GET /changes`: the change feed, as Server-Sent Events. `event: jobs` with
 * `{ changes: [{ id, state, queue, type }], at }` (at most one per second, latest state per job, at
 * most 500), `event: queues` with `{ items, at }` when a queue summary changed (and at connect), and
 * a `: heartbeat` comment every 15 s.
 */
@Controller('changes')
@UseGuards(JobsAccessGuard)
export class ChangesController {
  constructor(private readonly hub: ChangeFeedHub) {}

  @Get()
  changes(@Req() req: Request, @Res() res: Response): void {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no'); // proxies must not buffer the stream
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const unsubscribe = this.hub.subscribe({
      write: (chunk) => res.write(chunk),
      buffered: () => res.writableLength,
      end: () => res.end(),
    });
    req.on('close', unsubscribe);
    res.on('close', unsubscribe);
  }
}
