import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JSONSchema } from 'json-schema-to-ts';
import { BadDataError } from '../errors/app-error.js';
import { isE164 } from '../shared/phone.js';
import type { ErrorDetail } from '../errors/app-error.js';

/**
 * The one ajv registry. JSON Schema 2020-12, the dialect of OpenAPI 3.1, so the validator and the published
 * document are the same schemas. Query strings and path parameters arrive as text: they get a coercing instance.
 */

export type Schema = JSONSchema & object;

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

function createAjv(coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    // OpenAPI's discriminator on oneOf: the branch is chosen by the tag, so errors are that branch's alone.
    discriminator: true,
  });
  addFormats(ajv);
  // Beyond the pattern: the number must be a possible one of its country (libphonenumber's length rules).
  ajv.addFormat('e164', { type: 'string', validate: isE164 });
  ajv.addKeyword({ keyword: 'example' });
  return ajv;
}

const strictAjv = createAjv(false);
const coercingAjv = createAjv(true);
const cache = new WeakMap<object, ValidateFunction>();
const coercingCache = new WeakMap<object, ValidateFunction>();

export function compile<T = unknown>(schema: Schema, opts: { coerce?: boolean } = {}): ValidateFunction<T> {
  const map = opts.coerce ? coercingCache : cache;
  let fn = map.get(schema);
  if (!fn) {
    const { $id: _id, ...anonymous } = schema as Record<string, unknown>;
    fn = (opts.coerce ? coercingAjv : strictAjv).compile(anonymous);
    map.set(schema, fn);
  }
  return fn as ValidateFunction<T>;
}

/**
 * With allErrors, a failed `anyOf` reports every branch's problems (a CRM sink's config against all five kinds). Only
 * the branch that came closest (fewest problems) is what the client meant, so the others and the "must match a
 * schema in anyOf" summary are dropped. Nested anyOfs are resolved from the innermost out.
 */
function closestBranches(errors: ErrorObject[]): ErrorObject[] {
  let out = errors;
  const unions = new Set(out.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath));
  for (const union of [...unions].sort((a, b) => b.length - a.length)) {
    const prefix = `${union}/`;
    const perBranch = new Map<string, number>();
    for (const e of out) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0]!;
      perBranch.set(branch, (perBranch.get(branch) ?? 0) + 1);
    }
    if (perBranch.size === 0) continue;
    const best = [...perBranch].sort((a, b) => a[1] - b[1] || Number(a[0]) - Number(b[0]))[0]![0];
    out = out.filter((e) => (e.schemaPath.startsWith(prefix) ? e.schemaPath.startsWith(`${prefix}${best}/`) : e.schemaPath !== union));
  }
  return out;
}

export function toDetails(errors: ErrorObject[] | null | undefined, where: string): ErrorDetail[] {
  return closestBranches(errors ?? []).map((e) => {
    const at = `${where}${e.instancePath}`;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') message = `must not have property "${String(e.params.additionalProperty)}"`;
    if (e.keyword === 'required') message = `must have property "${String(e.params.missingProperty)}"`;
    if (e.keyword === 'enum') message = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    if (e.keyword === 'const') message = `must be ${JSON.stringify(e.params.allowedValue)}`;
    if (e.keyword === 'discriminator') {
      const tag = String(e.params.tag);
      return { path: `${at}/${tag}`, message: `${at}/${tag} ${e.params.error === 'tag' ? 'must be a string' : 'is not one of the known kinds'}` };
    }
    return { path: at, message: `${at} ${message}` };
  });
}

/** Validates (and, for coercing schemas, converts in place) `data`; throws BadDataError listing every problem. */
export function validateOrThrow<T>(schema: Schema, data: unknown, where: string, opts: { coerce?: boolean } = {}): T {
  const fn = compile<T>(schema, opts);
  if (!fn(data)) {
    const details = toDetails(fn.errors, where);
    throw new BadDataError(`Request ${where} is invalid: ${details.map((d) => d.message).join('; ')}`, details);
  }
  return data as T;
}
