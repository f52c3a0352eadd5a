/** One cost line of an uploaded file, as read (before spreading over days and time zones). */
export interface SpendLine {
  /** 1-based physical line of the file. */
  readonly line: number;
  /** First and last day, inclusive (the same day for a one-day line), in the file's time zone. */
  readonly from: string;
  readonly to: string;
  readonly utm: UtmKey;
  /** In cents (minor units with two decimals). */
  readonly cents: number;
  /** ISO 4217 upper case, or null when the line has none (the site's currency is assumed). */
  readonly currency: string | null;
  readonly clicks: number;
}

export interface UtmKey {
  readonly source: string;
  readonly medium: string;
  readonly campaign: string;
  readonly term: string;
  readonly content: string;
}

export interface LineError {
  readonly line: number;
  readonly message: string;
}

export interface ParsedSpendFile {
  readonly lines: readonly SpendLine[];
  readonly errors: readonly LineError[];
  /** From a `Parameters:TimeZone=` line; null when the file has none. */
  readonly timezone: string | null;
  /** Data lines read (good and bad). */
  readonly rows: number;
}

export const SPEND_FORMATS = ['yandex-metrica', 'google-ads'] as const;
export type SpendFormat = (typeof SPEND_FORMATS)[number];
