/**
 * The minified IIFE for one entry point of the widget (dni-widget/bundle.mjs); `eager` puts V8's compile hint
 * (`//# allFunctionsCalledOnLoad`) above it.
 */
export function bundle(entry: string, options?: { eager?: boolean }): Promise<string>;
