import { newId } from '../shared/ids.js';

export interface ErrorDetail {
  message: string;
  path?: string;
}

/**
 * The one error shape of the API: `{id, name, message, details}`.
 * `id` is logged next to the error so a user's report can be traced.
 */
export abstract class AppError extends Error {
  abstract readonly statusCode: number;
  readonly id: string = newId();
  readonly details: ErrorDetail[];

  constructor(message: string, details?: ErrorDetail[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details ?? [{ message }];
  }

  toJSON(): { id: string; name: string; message: string; details: ErrorDetail[] } {
    return { id: this.id, name: this.name, message: this.message, details: this.details };
  }
}

export class BadDataError extends AppError {
  readonly statusCode = 400;
}

export class UnauthorizedError extends AppError {
  readonly statusCode = 401;
  constructor(message = 'A valid API key or console session is required') {
    super(message);
  }
}

export class ForbiddenError extends AppError {
  readonly statusCode = 403;
}

export class NotFoundError extends AppError {
  readonly statusCode = 404;
}

export class MethodNotAllowedError extends AppError {
  readonly statusCode = 405;
}

export class ConflictError extends AppError {
  readonly statusCode = 409;
}

export class GoneError extends AppError {
  readonly statusCode = 410;
}

export class PayloadTooLargeError extends AppError {
  readonly statusCode = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly statusCode = 415;
}

export class RangeNotSatisfiableError extends AppError {
  readonly statusCode = 416;
}

export class TooManyRequestsError extends AppError {
  readonly statusCode = 429;
}

/** An outside service (Twilio, a CRM, object storage) failed; the message never carries its internals. */
export class ProviderError extends AppError {
  readonly statusCode = 502;
}

export class ServiceUnavailableError extends AppError {
  readonly statusCode = 503;
}

/** Anything unexpected. The message shown to the client never carries the original error's text. */
export class InternalError extends AppError {
  readonly statusCode = 500;
  constructor(cause?: unknown) {
    super('Internal error', [{ message: 'Internal error; quote the id when reporting it' }], { cause });
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Well-formed but refused by a rule of the domain (an amount in another currency than the site's). */
export class UnprocessableEntityError extends AppError {
  readonly statusCode = 422;
}
