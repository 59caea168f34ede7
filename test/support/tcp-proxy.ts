import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that a test can cut, to make the database unreachable for one
 * application without disturbing the others: `down()` drops every connection and refuses new ones,
 * `blackhole()` accepts connections but never answers (a partitioned host), `up()` restores it.
 * `partition()` holds every byte both ways on the connections already open (and new ones), keeping
 * the sockets open as a network partition does; `heal()` delivers what was held, in order, as TCP
 * retransmissions would. `delay(ms)` adds `ms` of latency each way.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private mode: 'up' | 'blackhole' | 'partition' = 'up';
  private delayMs = 0;
  /** Bytes held during a partition, in arrival order. */
  private held: Array<{ to: Socket; chunk: Buffer }> = [];
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async up(): Promise<void> {
    this.mode = 'up';
    if (this.server) return;
    const server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (this.mode === 'blackhole') return;
      const upstream = connect(this.targetPort, this.targetHost);
      this.sockets.add(upstream);
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.on('data', (chunk: Buffer) => this.forward(upstream, chunk));
      upstream.on('data', (chunk: Buffer) => this.forward(client, chunk));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Refuses new connections and resets the open ones. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Keeps accepting connections but forwards nothing, after dropping the open ones. */
  blackhole(): void {
    this.mode = 'blackhole';
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  /** Holds every byte both ways, the sockets left open. */
  partition(): void {
    this.mode = 'partition';
  }

  /** Ends a partition: what was held is delivered, in order. */
  heal(): void {
    this.mode = 'up';
    const held = this.held;
    this.held = [];
    for (const { to, chunk } of held) this.forward(to, chunk);
  }

  /** Adds `ms` of latency each way (0: none). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  private forward(to: Socket, chunk: Buffer): void {
    if (this.mode === 'partition') this.held.push({ to, chunk });
    else if (this.delayMs === 0) write(to, chunk);
    // Timers of one duration fire in the order they were set: the stream's order is kept.
    else setTimeout(() => write(to, chunk), this.delayMs);
  }
}

function write(to: Socket, chunk: Buffer): void {
  if (!to.destroyed) to.write(chunk);
}
