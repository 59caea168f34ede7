import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a route handler gets with `@Req()` / `@Res()` on either platform: Express's objects are Node's
 * own; Fastify's wrap them in `raw` (and its reply can be handed over with `hijack()`). */
interface PlatformRequest {
  raw?: IncomingMessage;
}
interface PlatformResponse {
  raw?: ServerResponse;
  hijack?: () => void;
}

/**
 * The Node request and response under the platform's, for a handler that writes a stream itself
 * (Server-Sent Events). On Fastify the reply is hijacked first, so that Fastify neither answers nor
 * logs an error once the handler returns without `send()`.
 */
export function rawExchange(req: unknown, res: unknown): { req: IncomingMessage; res: ServerResponse } {
  const platformReq = req as PlatformRequest;
  const platformRes = res as PlatformResponse;
  if (platformRes.raw) {
    platformRes.hijack?.();
    return { req: platformReq.raw ?? (req as IncomingMessage), res: platformRes.raw };
  }
  return { req: req as IncomingMessage, res: res as ServerResponse };
}
