/** The end-to-end report: what it groups by, how calls are attributed, and what each row carries (docs/analytics.md). */

export const GROUP_BYS = [
  'channel',
  'source',
  'medium',
  'source_medium',
  'campaign',
  'keyword',
  'landing_page',
  'device',
  'tracking_number',
  'first_time',
  'hour',
  'weekday',
  'date',
  'week',
  'month',
] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export const MODELS = ['last_non_direct', 'last_click', 'first_click'] as const;
export type AttributionModel = (typeof MODELS)[number];

/** The row's fields, in the order of the CSV header. */
export const METRICS = [
  'visits',
  'calls',
  'answeredCalls',
  'missedCalls',
  'uniqueCallers',
  'firstTimeCallers',
  'targetCalls',
  'leads',
  'deals',
  'revenue',
  'spend',
  'clicks',
  'costPerCall',
  'cpl',
  'cpa',
  'roas',
  'romi',
] as const;
export type Metric = (typeof METRICS)[number];

export type ReportMetrics = Record<Metric, number | null>;

export interface ReportRow extends ReportMetrics {
  readonly key: string | null;
  readonly label: string;
}

export interface ReportFilter {
  readonly channelId?: string;
  readonly trackingNumber?: string;
  readonly firstTime?: boolean;
  readonly outcome?: string;
}

export interface ReportQuery {
  readonly siteId: string;
  /** Calendar days in the site's time zone, both inclusive. */
  readonly from: string;
  readonly to: string;
  readonly groupBy: GroupBy;
  readonly model: AttributionModel;
  readonly filter: ReportFilter;
  readonly lang: 'en' | 'ru';
}

export interface Report {
  readonly siteId: string;
  readonly from: string;
  readonly to: string;
  readonly timezone: string;
  readonly currency: string;
  readonly groupBy: GroupBy;
  readonly model: AttributionModel;
  readonly rows: readonly ReportRow[];
  readonly totals: ReportMetrics;
}

/** Lead and revenue settings the report reads from the site (defaults when unset). */
export interface ReportSiteSettings {
  readonly timezone: string;
  readonly currency: string;
  readonly targetCallMinTalkSeconds: number;
  readonly leadWindowHours: number;
}

/** Dimensions ad spend can be split by: spend rows carry a day and UTM values, nothing about calls or devices. */
export const SPEND_DIMENSIONS: ReadonlySet<GroupBy> = new Set([
  'channel',
  'source',
  'medium',
  'source_medium',
  'campaign',
  'keyword',
  'weekday',
  'date',
  'week',
  'month',
]);

/** Dimensions a visit has (a visit has no tracking number and no caller). */
export const VISIT_DIMENSIONS: ReadonlySet<GroupBy> = new Set(GROUP_BYS.filter((g) => g !== 'tracking_number' && g !== 'first_time'));
