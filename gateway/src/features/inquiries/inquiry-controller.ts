import { BadDataError, NotFoundError } from '../../errors/app-error.js';
import { ADMINS, ANY_ROLE } from '../../http/principal.js';
import { rawBodyOf } from '../../http/mount-routes.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { InquiryIntake, SubmitOutcome } from './inquiry-intake.js';
import { encodeInquiryCursor, parseInquiryCursor } from './inquiry-cursor.js';
import type { InquiryListItem, InquiryReadModel } from './inquiry-read-model.js';
import { maskFields } from './inquiry-privacy.js';
import {
  inquiryDetailSchema,
  inquiryIdParamsSchema,
  inquiryListQuerySchema,
  inquiryListSchema,
  inquirySettingsResponseSchema,
  inquirySubmitResponseSchema,
  inquirySubmitSchema,
  siteParamsSchema,
  updateInquirySettingsSchema,
  widgetConfigQuerySchema,
  widgetConfigSchema,
} from './inquiry-schemas.js';
import { SIGNATURE_HEADER, SITE_KEY_HEADER, TIMESTAMP_HEADER } from './inquiry-signature.js';
import type { AnyInquiryKind } from './inquiry-types.js';
import type { Knex } from 'knex';

const header = (h: Record<string, string | string[] | undefined>, name: string): string | undefined =>
  typeof h[name] === 'string' ? (h[name] as string) : undefined;

const toApiItem = (i: InquiryListItem) => ({
  id: i.id,
  kind: i.kind,
  siteId: i.siteId,
  at: i.at.toISOString(),
  status: i.status,
  phone: i.phone,
  email: i.email,
  name: i.name,
  subject: i.subject,
  message: i.message,
  leadId: i.leadId,
  sessionId: i.sessionId,
  callId: i.callId,
  outcome: i.outcome,
  durationSeconds: i.durationSeconds,
  channel: i.origin.channel ? { ...i.origin.channel } : null,
  source: i.origin.source,
  medium: i.origin.medium,
  campaign: i.origin.campaign,
  keyword: i.origin.keyword,
  landingPage: i.origin.landingPage,
});

function answer(o: SubmitOutcome, cors: Record<string, string>) {
  // Spam gets the answer a real submission gets, with nothing stored: bots learn nothing from it.
  if (o.status === 'ignored') return { status: 202, body: { status: 'received' as const }, headers: cors };
  return {
    status: o.status === 'duplicate' ? 200 : 201,
    body: {
      status: o.status,
      id: o.inquiry.id,
      leadId: o.inquiry.leadId,
      dueAt: o.dueAt ? o.dueAt.toISOString() : null,
      ...(o.message ? { message: o.message } : {}),
    },
    headers: cors,
  };
}

/** Inquiry intake (public: signed backends and the widget), the inquiries list, and per-site inquiry settings. */
export class InquiryController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(intake: InquiryIntake, readModel: InquiryReadModel, db: Knex) {
    this.routes = [
      route(
        {
          method: 'post',
          path: '/v1/sites/{siteId}/inquiries',
          operationId: 'submitInquiry',
          summary: 'A web form or a callback request from the site',
          description:
            'From your backend: X-DNI-Timestamp (Unix seconds) and X-DNI-Signature: sha256=<hex HMAC-SHA256(signing secret, "<timestamp>.<raw body>")>, ' +
            'optionally X-DNI-Site-Key; accepted within 300 s, each signature once. From the widget (no signature): {siteId} may be the public key, ' +
            'the page origin must be a site domain. Spam (honeypot filled, too fast) answers 202 and stores nothing.',
          tags: ['inquiries'],
          auth: 'public',
          params: siteParamsSchema,
          body: inquirySubmitSchema,
          bodyType: 'text-json',
          responses: {
            201: { description: 'Stored', schema: inquirySubmitResponseSchema },
            200: { description: 'The same externalId was received before', schema: inquirySubmitResponseSchema },
            202: { description: 'Taken (spam is dropped silently)', schema: inquirySubmitResponseSchema },
            401: { description: 'Missing, bad, expired or replayed signature' },
            403: { description: 'Origin not on the site, or the kind is off' },
            404: { description: 'No such site' },
            429: { description: 'Rate limited (per site or per phone/address)' },
          },
        },
        async ({ params, body, req }) => {
          const h = req.headers;
          const signature = header(h, SIGNATURE_HEADER);
          const origin = header(h, 'origin') ?? null;
          const cors: Record<string, string> = origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {};
          if (signature !== undefined || header(h, TIMESTAMP_HEADER) !== undefined) {
            const raw = rawBodyOf(req)?.toString('utf8') ?? '';
            const siteKey = header(h, SITE_KEY_HEADER);
            const o = await intake.submitSigned(
              params.siteId,
              { ...(siteKey ? { siteKey } : {}), ...(signature ? { signature } : {}), timestamp: header(h, TIMESTAMP_HEADER) ?? '' },
              raw,
              body,
            );
            return answer(o, {});
          }
          return answer(await intake.submitFromWidget(body.site ?? params.siteId, origin, body), cors);
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/sites/{siteId}/inquiry-config',
          operationId: 'getInquiryWidgetConfig',
          summary: 'What the optional widget module does on this site ({siteId} may be the public key)',
          tags: ['inquiries'],
          auth: 'public',
          params: siteParamsSchema,
          query: widgetConfigQuerySchema,
          responses: { 200: { description: 'Config', schema: widgetConfigSchema }, 403: { description: 'Origin not on the site' } },
        },
        async ({ params, query, req }) => {
          const origin = header(req.headers, 'origin') ?? null;
          const body = await intake.widgetConfig(params.siteId, origin, query.session ?? null);
          const cors: Record<string, string> = origin ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : {};
          return { status: 200, body, headers: { ...cors, 'Cache-Control': 'no-store' } };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/inquiries',
          operationId: 'listInquiries',
          summary: 'Calls, web forms, callback requests and emails, newest first',
          tags: ['inquiries'],
          auth: ANY_ROLE,
          query: inquiryListQuerySchema,
          responses: { 200: { description: 'A page of inquiries', schema: inquiryListSchema } },
        },
        async ({ query, principal }) => {
          const limit = query.limit ?? 50;
          const date = (v: string | undefined, name: string) => {
            if (v === undefined) return undefined;
            const d = new Date(v);
            if (Number.isNaN(d.getTime())) throw new BadDataError(`${name} is not a date`);
            return d;
          };
          const items = await readModel.list(db, {
            accountId: principal.accountId,
            kinds: query.kind ? (query.kind.split(',') as AnyInquiryKind[]) : undefined,
            siteId: query.siteId,
            leadId: query.leadId,
            from: date(query.from, 'from'),
            before: query.before === undefined ? undefined : parseInquiryCursor(query.before),
            limit,
          });
          const last = items.length === limit ? items[items.length - 1] : undefined;
          return { status: 200, body: { items: items.map(toApiItem), nextBefore: last ? encodeInquiryCursor(last.cursorAt, last.id) : null } };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/inquiries/{inquiryId}',
          operationId: 'getInquiry',
          summary: 'One web form, callback request or email with its lead and attribution (a call is GET /v1/calls/{callId})',
          tags: ['inquiries'],
          auth: ANY_ROLE,
          params: inquiryIdParamsSchema,
          responses: { 200: { description: 'The inquiry', schema: inquiryDetailSchema }, 404: { description: 'No such inquiry' } },
        },
        async ({ params, principal }) => {
          const found = await readModel.get(db, principal.accountId, params.inquiryId);
          if (!found) throw new NotFoundError('No such inquiry');
          const { inquiry: i, attribution: a } = found;
          const iso = (d: Date | null) => (d ? d.toISOString() : null);
          return {
            status: 200,
            body: {
              id: i.id,
              kind: i.kind,
              origin: i.origin,
              siteId: i.siteId,
              siteName: found.siteName,
              receivedAt: i.receivedAt.toISOString(),
              status: i.status,
              phone: i.phone,
              email: i.email,
              name: i.name,
              subject: i.subject,
              message: i.message,
              fields: maskFields(i.fields),
              pageUrl: i.pageUrl,
              sessionId: i.sessionId,
              callId: i.callId,
              dueAt: iso(i.dueAt),
              alias: i.alias,
              forwardedAt: iso(i.forwardedAt),
              callbackOutcome: i.callbackOutcome ?? null,
              lead: found.lead,
              attribution: {
                channel: a.channel,
                channelName: a.channelName,
                source: a.source,
                medium: a.medium,
                campaign: a.campaign,
                keyword: a.keyword,
                content: a.content,
                landingPage: a.landingPage,
                referrer: a.referrer,
              },
            },
          };
        },
      ),
      route(
        {
          method: 'get',
          path: '/v1/sites/{siteId}/inquiry-settings',
          operationId: 'getInquirySettings',
          summary: "The site's forms, callback and email tracking settings, and its signing secret",
          tags: ['inquiries'],
          auth: ADMINS,
          params: siteParamsSchema,
          responses: { 200: { description: 'Settings', schema: inquirySettingsResponseSchema } },
        },
        async ({ params, principal }) => {
          const s = await intake.getSettings(principal, params.siteId);
          return { status: 200, body: { siteId: params.siteId, settings: structuredClone(s.settings), signingSecret: s.signingSecret } };
        },
      ),
      route(
        {
          method: 'patch',
          path: '/v1/sites/{siteId}/inquiry-settings',
          operationId: 'updateInquirySettings',
          summary: 'Changes inquiry settings (a value sets, an absent one stays); rotateSecret issues a new signing secret',
          tags: ['inquiries'],
          auth: ADMINS,
          params: siteParamsSchema,
          body: updateInquirySettingsSchema,
          responses: { 200: { description: 'Settings', schema: inquirySettingsResponseSchema } },
        },
        async ({ params, body, principal }) => {
          const s = await intake.putSettings(principal, params.siteId, body as never);
          return { status: 200, body: { siteId: params.siteId, settings: structuredClone(s.settings), signingSecret: s.signingSecret } };
        },
      ),
    ];
  }
}
