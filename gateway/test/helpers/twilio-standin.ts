import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { readSharedJson } from './shared-fixtures.js';

/**
 * A local stand-in for api.twilio.com that checks every request against Twilio's published OpenAPI document
 * (`shared/fixtures/twilio/twilio_api_v2010.json`): the operation must exist for the method and path, Basic auth
 * must be AccountSid:AuthToken, query and form parameters must be documented and of the documented types. It
 * answers with the operation's own example body, adjusted to the request, and checks that answer against the
 * response schema too. Anything off is a 400/500 with the reason, recorded in `problems` for the test to assert on.
 */

type Json = Record<string, unknown>;
interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Json;
}
interface Operation {
  method: string;
  template: string;
  regex: RegExp;
  names: string[];
  operationId: string;
  params: Param[];
  formSchema: Json | null;
  success: { status: number; schema: Json | null; example: unknown };
}

export interface TwilioRequest {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly pathParams: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly form: Readonly<Record<string, string>>;
  /** The Account SID whose SID:token the request's Basic auth carried. */
  readonly authenticatedAs: string;
}

export interface TwilioStandIn {
  readonly baseUrl: string;
  readonly requests: TwilioRequest[];
  readonly problems: string[];
  /** Phone numbers "owned" by the account: created by POST, removed by DELETE. */
  readonly owned: Map<string, Json>;
  /** Call resources by CallSid (fields of the Call resource, e.g. status, duration, end_time); others are 404. */
  readonly calls: Map<string, Json>;
  close(): Promise<void>;
}

const spec = readSharedJson<{ paths: Record<string, Record<string, Json>>; components: Json }>('twilio/twilio_api_v2010.json');

function loadOperations(): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(spec.paths)) {
    const names: string[] = [];
    const regex = new RegExp(
      `^${template.replace(/[.]/g, '\\.').replace(/\{([A-Za-z0-9_]+)\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    for (const method of ['get', 'post', 'delete']) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const responses = op.responses as Record<string, Json>;
      const code = Object.keys(responses).find((c) => c.startsWith('2'));
      if (!code) continue;
      const content = (responses[code]!.content as Record<string, Json> | undefined)?.['application/json'];
      const examples = content?.examples as Record<string, { value: unknown }> | undefined;
      const rb = op.requestBody as { content: Record<string, { schema: Json }> } | undefined;
      ops.push({
        method: method.toUpperCase(),
        template,
        regex,
        names,
        operationId: op.operationId as string,
        params: (op.parameters as Param[] | undefined) ?? [],
        formSchema: rb?.content['application/x-www-form-urlencoded']?.schema ?? null,
        success: {
          status: Number(code),
          schema: (content?.schema as Json | undefined) ?? null,
          example: examples ? Object.values(examples)[0]!.value : undefined,
        },
      });
    }
  }
  return ops;
}

const OPERATIONS = loadOperations();

function newAjv(coerce: boolean): Ajv {
  // OpenAPI 3.0: `nullable`, vendor x- keywords, and Twilio's own formats (its examples use relative "uri" values).
  const ajv = new Ajv({ strict: false, coerceTypes: coerce, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'twilio', components: spec.components });
  return ajv;
}
// Twilio's own examples carry a few numbers as strings (latitude "19.720000"): coercing makes the answer match the
// schema it is checked against, which is the stricter of the two shapes.
const responseAjv = newAjv(true);
const requestAjv = newAjv(true);
const rewriteRefs = (schema: Json): Json => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"twilio#/components/')) as Json;
const compiled = new Map<string, ValidateFunction>();
function validator(key: string, ajv: Ajv, schema: Json): ValidateFunction {
  let v = compiled.get(key);
  if (!v) {
    v = ajv.compile(rewriteRefs(schema));
    compiled.set(key, v);
  }
  return v;
}

const sid = (prefix: string) => prefix + randomBytes(16).toString('hex');

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Form keys → the resource's snake_case fields (VoiceUrl → voice_url). */
const snake = (k: string) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export async function startTwilioStandIn(
  auth: { accountSid: string; authToken: string },
  opts: {
    available?: string[];
    /** More Twilio accounts this stand-in knows (each with its own token), besides `auth`. */
    logins?: readonly { accountSid: string; authToken: string }[];
  } = {},
): Promise<TwilioStandIn> {
  const logins = [auth, ...(opts.logins ?? [])];
  const requests: TwilioRequest[] = [];
  const problems: string[] = [];
  const owned = new Map<string, Json>();
  const calls = new Map<string, Json>();
  const available = opts.available ?? ['+14155550101', '+14155550102', '+14155550103'];

  const fail = (res: ServerResponse, status: number, message: string) => {
    problems.push(message);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: status === 404 ? 20404 : 21000 + status, message, more_info: 'https://www.twilio.com/docs/errors', status }));
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const op = OPERATIONS.find((o) => o.method === req.method && o.regex.test(url.pathname));
      if (!op) return fail(res, 404, `no operation for ${req.method} ${url.pathname}`);
      const m = op.regex.exec(url.pathname)!;
      const pathParams = Object.fromEntries(op.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      const caller = logins.find((l) => req.headers.authorization === `Basic ${Buffer.from(`${l.accountSid}:${l.authToken}`).toString('base64')}`);
      if (!caller) return fail(res, 401, `${op.operationId}: bad Basic auth`);
      // The Account resource names its account `Sid`; every other resource has it as `AccountSid`.
      const pathAccount = op.operationId === 'FetchAccount' ? pathParams.Sid : pathParams.AccountSid;
      if (pathAccount !== caller.accountSid) return fail(res, 403, `${op.operationId}: AccountSid in the path is not the caller's`);

      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const queryParams = op.params.filter((p) => p.in === 'query');
      for (const k of Object.keys(query))
        if (!queryParams.some((p) => p.name === k)) return fail(res, 400, `${op.operationId}: undocumented query parameter ${k}`);
      const qSchema = {
        type: 'object',
        properties: Object.fromEntries(queryParams.map((p) => [p.name, p.schema])),
        required: queryParams.filter((p) => p.required).map((p) => p.name),
      };
      const qv = validator(`${op.operationId}:query`, requestAjv, qSchema);
      if (!qv({ ...query })) return fail(res, 400, `${op.operationId}: query ${requestAjv.errorsText(qv.errors)}`);

      let form: Record<string, string> = {};
      const raw = await readBody(req);
      if (op.formSchema) {
        if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
          return fail(res, 400, `${op.operationId}: body must be a form`);
        form = Object.fromEntries(new URLSearchParams(raw));
        const props = (op.formSchema.properties as Json | undefined) ?? {};
        for (const k of Object.keys(form)) if (!(k in props)) return fail(res, 400, `${op.operationId}: undocumented form parameter ${k}`);
        const fv = validator(`${op.operationId}:form`, requestAjv, op.formSchema);
        // Array parameters (StatusCallbackEvent) are repeated keys on the wire, as twilio-node sends them.
        const params = new URLSearchParams(raw);
        const typed: Json = { ...form };
        for (const k of Object.keys(form)) if ((props[k] as Json | undefined)?.type === 'array') typed[k] = params.getAll(k);
        if (!fv(typed)) return fail(res, 400, `${op.operationId}: form ${requestAjv.errorsText(fv.errors)}`);
      } else if (raw.length) {
        return fail(res, 400, `${op.operationId}: takes no body`);
      }
      requests.push({
        operationId: op.operationId,
        method: op.method,
        path: url.pathname,
        pathParams,
        query,
        form,
        authenticatedAs: caller.accountSid,
      });

      // The answer: the operation's own example, adjusted to this request and this stand-in's state.
      let body = structuredClone(op.success.example) as Json | undefined;
      switch (op.operationId) {
        case 'CreateCall': {
          // Every call Twilio starts has its own SID.
          body!.sid = `CA${randomBytes(16).toString('hex')}`;
          body!.to = form.To;
          body!.from = form.From;
          break;
        }
        case 'ListAvailablePhoneNumberLocal': {
          const item = (body!.available_phone_numbers as Json[])[0]!;
          const matching = available.filter((n) => ![...owned.values()].some((o) => o.phone_number === n));
          const filtered = matching.filter(
            (n) =>
              (query.AreaCode ? n.slice(2, 5) === query.AreaCode : true) &&
              (query.Contains ? n.includes(query.Contains.replace(/[*%+$]/g, '')) : true),
          );
          body!.available_phone_numbers = filtered
            .slice(0, Number(query.PageSize ?? 50))
            .map((n) => ({ ...item, phone_number: n, friendly_name: n, iso_country: pathParams.CountryCode }));
          body!.uri = url.pathname;
          break;
        }
        case 'CreateIncomingPhoneNumber': {
          if (!form.PhoneNumber && !form.AreaCode) return fail(res, 400, 'CreateIncomingPhoneNumber: PhoneNumber or AreaCode is required');
          const number = form.PhoneNumber ?? available[0]!;
          const s = sid('PN');
          body = {
            ...body!,
            sid: s,
            account_sid: caller.accountSid,
            phone_number: number,
            friendly_name: form.FriendlyName ?? number,
            uri: `/2010-04-01/Accounts/${caller.accountSid}/IncomingPhoneNumbers/${s}.json`,
          };
          for (const [k, v] of Object.entries(form)) if (snake(k) in body) body[snake(k)] = v;
          owned.set(s, body);
          break;
        }
        case 'UpdateIncomingPhoneNumber':
        case 'FetchIncomingPhoneNumber': {
          const cur = owned.get(pathParams.Sid!);
          if (!cur) return fail(res, 404, `${op.operationId}: no number ${pathParams.Sid}`);
          for (const [k, v] of Object.entries(form)) if (snake(k) in cur) cur[snake(k)] = v;
          body = cur;
          break;
        }
        case 'FetchCall': {
          const c = calls.get(pathParams.Sid!);
          if (!c) return fail(res, 404, `FetchCall: no call ${pathParams.Sid}`);
          body = { ...body!, sid: pathParams.Sid, account_sid: caller.accountSid, parent_call_sid: null, ...c };
          break;
        }
        case 'FetchAccount':
          body = { ...body!, sid: caller.accountSid, owner_account_sid: caller.accountSid, auth_token: caller.authToken, status: 'active' };
          break;
        case 'DeleteIncomingPhoneNumber':
          if (!owned.delete(pathParams.Sid!)) return fail(res, 404, `DeleteIncomingPhoneNumber: no number ${pathParams.Sid}`);
          break;
      }
      if (op.success.schema) {
        const rv = validator(`${op.operationId}:response`, responseAjv, op.success.schema);
        if (!rv(body)) return fail(res, 500, `${op.operationId}: stand-in answer breaks the response schema: ${responseAjv.errorsText(rv.errors)}`);
      }
      if (op.success.status === 204) {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(op.success.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    })().catch((err: unknown) => fail(res, 500, `stand-in error: ${String(err)}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    problems,
    owned,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
