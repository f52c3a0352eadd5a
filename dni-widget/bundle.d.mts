/** The minified IIFE for one entry point of the widget (dni-widget/bundle.mjs). */
export function bundle(entry: string): Promise<string>;
