/**
 * The smallest instance a JSON Schema (as published in the gateway's OpenAPI document) accepts: required properties
 * only, the first enum value, the minimum of a range. Enough for a request to pass validation and reach its
 * handler; formats get a value of that format.
 */

type Json = Record<string, unknown>;

const FORMAT_SAMPLES: Record<string, string> = {
  e164: '+14155550188',
  email: 'sample@example.com',
  uri: 'https://crm.example.com/hook',
  url: 'https://crm.example.com/hook',
  'date-time': '2026-11-20T10:00:00Z',
  date: '2026-11-20',
  time: '10:00:00Z',
  uuid: '00000000-0000-4000-8000-000000000000',
  hostname: 'shop.example.com',
  ipv4: '192.0.2.1',
};

/** For `pattern` strings: the first of these the pattern accepts. */
const PATTERN_CANDIDATES = ['2026-11-20', 'https://shop.example.com/', '+14155550188', 'sample', 'sample_key', 'SAMPLE', 'a', '1', '2026-11'];

export function sampleOf(schema: unknown, components: Readonly<Record<string, unknown>>, depth = 0): unknown {
  if (depth > 12 || !schema || typeof schema !== 'object') return null;
  const s = schema as Json;
  if (typeof s.$ref === 'string') return sampleOf(components[s.$ref.replace('#/components/schemas/', '')], components, depth + 1);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (Array.isArray(s.oneOf)) return sampleOf(s.oneOf[0], components, depth + 1);
  if (Array.isArray(s.anyOf)) return sampleOf(s.anyOf[0], components, depth + 1);
  if (Array.isArray(s.allOf)) {
    const merged: Json = {};
    for (const part of s.allOf) Object.assign(merged, sampleOf(part, components, depth + 1) as Json);
    return merged;
  }
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Json = {};
      const props = (s.properties ?? {}) as Json;
      for (const name of (s.required as string[] | undefined) ?? []) out[name] = sampleOf(props[name], components, depth + 1);
      // A PATCH body must change something: its first property.
      const first = Object.keys(props)[0];
      if (typeof s.minProperties === 'number' && Object.keys(out).length < s.minProperties && first)
        out[first] = sampleOf(props[first], components, depth + 1);
      return out;
    }
    case 'array': {
      const n = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: n }, () => sampleOf(s.items, components, depth + 1));
    }
    case 'string': {
      if (typeof s.format === 'string' && FORMAT_SAMPLES[s.format]) return FORMAT_SAMPLES[s.format];
      if (typeof s.pattern === 'string') {
        const re = new RegExp(s.pattern, 'u');
        const hit = PATTERN_CANDIDATES.find((c) => re.test(c));
        if (hit) return hit;
      }
      const min = typeof s.minLength === 'number' ? s.minLength : 1;
      return 'sample'.padEnd(Math.max(min, 6), 'x').slice(0, typeof s.maxLength === 'number' ? s.maxLength : 64);
    }
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 1;
    case 'boolean':
      return false;
    default:
      return null;
  }
}
