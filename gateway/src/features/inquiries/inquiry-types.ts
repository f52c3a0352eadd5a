/** Inquiry kinds besides inbound calls; together with `call` they are what the reports and the list count. */
export type InquiryKind = 'form' | 'callback' | 'email';
export type AnyInquiryKind = 'call' | InquiryKind;
export const INQUIRY_KINDS: readonly AnyInquiryKind[] = ['call', 'form', 'callback', 'email'];

/** How the inquiry reached us. */
export type InquiryOrigin = 'widget' | 'server' | 'mailgun' | 'postmark' | 'sendgrid' | 'smtp';
export type InquiryStatus = 'received' | 'queued' | 'placing' | 'placed' | 'failed';
/** How far a placed callback got: the business never answered, only the business answered, both talked. */
export type CallbackOutcome = 'failed' | 'business_answered' | 'visitor_answered';

export interface Inquiry {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string | null;
  readonly kind: InquiryKind;
  readonly origin: InquiryOrigin;
  readonly externalKey: string | null;
  /** E.164, normalised with the site's country. */
  readonly phone: string | null;
  /** Lower-cased address. */
  readonly email: string | null;
  readonly name: string | null;
  readonly subject: string | null;
  readonly message: string | null;
  readonly fields: Readonly<Record<string, string>>;
  readonly pageUrl: string | null;
  readonly sessionId: string | null;
  readonly visitorId: string | null;
  readonly channelId: string | null;
  readonly leadId: string | null;
  readonly status: InquiryStatus;
  readonly callId: string | null;
  readonly dueAt: Date | null;
  readonly alias: string | null;
  readonly forwardedAt: Date | null;
  readonly receivedAt: Date;
  /** Callbacks whose PBX reports progress (Asterisk); null until known. */
  readonly callbackOutcome?: CallbackOutcome | null;
}

export type NewInquiry = Omit<Inquiry, 'leadId' | 'callId' | 'forwardedAt' | 'status' | 'dueAt' | 'callbackOutcome'> & {
  readonly status?: InquiryStatus;
  readonly dueAt?: Date | null;
};

/** A submission as the endpoints hand it over, before normalisation and attribution. */
export interface InquirySubmission {
  readonly kind: InquiryKind;
  readonly origin: InquiryOrigin;
  readonly externalKey?: string | null | undefined;
  readonly phone?: string | null | undefined;
  readonly email?: string | null | undefined;
  readonly name?: string | null | undefined;
  readonly subject?: string | null | undefined;
  readonly message?: string | null | undefined;
  readonly fields?: Readonly<Record<string, string>> | undefined;
  readonly pageUrl?: string | null | undefined;
  readonly sessionId?: string | null | undefined;
  /** Set when the channel is known without a session (a static email alias). */
  readonly channelId?: string | null | undefined;
  readonly alias?: string | null | undefined;
  readonly receivedAt?: Date | undefined;
}
