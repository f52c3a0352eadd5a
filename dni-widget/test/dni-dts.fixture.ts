// Type-checked by `tsc -p tsconfig.json` (not run): keeps dni.d.ts in step with the documented public API.
import type { DniCommand, DniSwap } from '../dni.d.ts';

export function useWidget(dni: DniCommand): void {
  dni('rescan');
  dni('rescan', document.body);
  dni('onNumber', (swaps: DniSwap[]) => {
    const first: DniSwap | undefined = swaps[0];
    if (first) document.title = `${first.from} → ${first.to} ${first.display ?? ''}`;
  });
  dni('consent', true);
  window.dni?.('consent', false);
  // @ts-expect-error unknown commands are a type error
  dni('swap', '+14155550100');
  // @ts-expect-error onNumber takes a listener
  dni('onNumber', 42);
}
