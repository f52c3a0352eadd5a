import type { Job } from '../../jobs/scheduler.js';
import { AutoscaleController } from './autoscale-controller.js';
import { type AutoscaleDeps, AutoscaleService } from './autoscale-service.js';
import { AutoscaleStore } from './autoscale-store.js';

/** Pool autoscaling wired from its dependencies: its routes and its job (one block in the composition root). */
export function createPoolAutoscale(deps: Omit<AutoscaleDeps, 'store'> & { intervalMs?: number }) {
  const service = new AutoscaleService({ ...deps, store: new AutoscaleStore() });
  const job: Job = {
    name: 'pool-autoscale.tick',
    intervalMs: deps.intervalMs ?? 5 * 60_000,
    run: async () => {
      const n = await service.tickAll();
      if (n) deps.logger.info({ actions: n }, 'pool autoscaling acted');
    },
  };
  return { service, controllers: [new AutoscaleController(service)], jobs: [job] };
}
