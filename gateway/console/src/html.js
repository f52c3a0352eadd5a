import { h } from 'preact';
import htm from 'htm';

/** JSX-like templates without a compile step for templates (htm), rendered by Preact. */
export const html = htm.bind(h);
