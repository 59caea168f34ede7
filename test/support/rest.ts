import type { ModuleMetadata } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { JobsApiModule, type JobsApiOptions } from 'nest-pg-jobs';
import type { TestApp } from './app';

/** Imports for `createTestApp`'s `extra`: the REST API under `/api`, as the server mounts it. */
export function restApiImports(options: JobsApiOptions = {}): Pick<ModuleMetadata, 'imports'> {
  return { imports: [JobsApiModule.forRoot(options), RouterModule.register([{ path: 'api', module: JobsApiModule }])] };
}

/** Starts the test app's HTTP server on a free local port; returns its base URL. */
export async function listenLocally(t: TestApp): Promise<string> {
  await t.app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
}

export interface JsonReply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
  body: any;
  text: string;
}

/** POSTs `body` as JSON and reads the JSON answer back. */
export async function postJson(url: string, body: unknown): Promise<JsonReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json');
  return { status: res.status, headers: res.headers, body: json ? JSON.parse(text) : undefined, text };
}
