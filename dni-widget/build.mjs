// Builds the widget into one minified IIFE: dni-widget/dist/dni.js (served by the gateway at /dni.js).
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

const root = fileURLToPath(new URL('.', import.meta.url));
mkdirSync(`${root}dist`, { recursive: true });
writeFileSync(`${root}dist/dni.js`, await bundle(`${root}src/widget.ts`, { eager: true }));
// The optional inquiries module (forms, email swap): its own file, loaded only by sites that turn it on.
writeFileSync(`${root}dist/dni-inquiries.js`, await bundle(`${root}src/inquiries.ts`));
