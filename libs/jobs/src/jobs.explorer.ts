import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { InvalidJobHandlerError } from './errors';
import type { JobHandlerInstance, JobHandlerMetadata } from './interfaces';
import { JOB_HANDLER_METADATA } from './jobs.constants';
import { JobsRegistry } from './core/handler-registry';

/** Finds the `@JobHandler()` classes among the application's providers. */
@Injectable()
export class JobsExplorer implements OnModuleInit {
  private readonly logger = new Logger('Jobs');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
    private readonly registry: JobsRegistry,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) this.inspect(wrapper);
  }

  private inspect(wrapper: InstanceWrapper): void {
    const instance = wrapper.instance as Partial<JobHandlerInstance> | undefined;
    // Providers made with useFactory / useValue have no metatype: read the instance's class.
    const target = !wrapper.metatype || wrapper.inject ? instance?.constructor : wrapper.metatype;
    if (!target || typeof target !== 'function') return;
    const metadata = this.reflector.get<JobHandlerMetadata | undefined>(JOB_HANDLER_METADATA, target);
    if (!metadata) return;
    if (!wrapper.isDependencyTreeStatic()) {
      this.logger.warn(`${target.name} is request-scoped; job handlers must be singletons, so it is not registered`);
      return;
    }
    if (!instance || typeof instance.handle !== 'function') {
      throw new InvalidJobHandlerError(
        `${target.name} is decorated with @JobHandler('${metadata.type}') but has no handle(job, ctx) method`,
      );
    }
    this.registry.register({ metadata, instance: instance as JobHandlerInstance, name: target.name });
  }
}
