import { BadDataError } from '../errors/app-error.js';

/**
 * No request body of this API nests deeper than a handful of levels; a deeper one is refused before the recursive
 * steps that follow (control-character cleaning, validation, handlers) could run out of stack on it. The walk
 * itself keeps its own stack, so a body of 100,000 nested arrays costs a loop, not a crash.
 */
export const MAX_BODY_DEPTH = 32;

export function assertBodyDepth(value: unknown, max = MAX_BODY_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > max) {
      throw new BadDataError(`The request body nests deeper than ${max} levels`, [{ path: 'body', message: `nests deeper than ${max} levels` }]);
    }
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) if (child && typeof child === 'object') stack.push([child, depth + 1]);
  }
}
