import type { ErrorRequestHandler, Response } from 'express';
import type { ServerResponse } from 'node:http';
import {
  type AppError,
  BadDataError,
  InternalError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  isAppError,
} from '../errors/app-error.js';
import type { Logger } from '../logging/logger.js';

interface BodyParserError {
  type?: string;
  status?: number;
  message?: string;
  name?: string;
  code?: string;
}

/**
 * The database cannot take the request now (every pooled connection busy past the acquire timeout, the server
 * refusing connections, starting up or out of slots): the client may retry, so 503 rather than 500.
 */
const DATABASE_BUSY_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', '57P03', '53300', '08006', '08001']);
export const RETRY_AFTER_SECONDS = 5;

/** Maps anything thrown to the one error shape; unknown errors become a 500 that carries no internals. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  const e = err as BodyParserError;
  switch (e?.type) {
    case 'entity.parse.failed':
      return new BadDataError('The request body is not valid JSON', [{ message: 'The request body is not valid JSON', path: 'body' }]);
    case 'entity.too.large':
      return new PayloadTooLargeError('The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(e.message ?? 'Unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new BadDataError(e.message ?? 'The request body could not be read');
  }
  if (e?.name === 'KnexTimeoutError' || (typeof e?.code === 'string' && DATABASE_BUSY_CODES.has(e.code))) {
    return new ServiceUnavailableError('The service is busy; try again shortly', undefined, { cause: err });
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new BadDataError(e.message ?? 'Bad request');
  }
  return new InternalError(err);
}

export function logError(logger: Logger, appError: AppError, original: unknown, extra: Record<string, unknown> = {}): void {
  if (appError.statusCode >= 500) logger.error({ err: original, errorId: appError.id, ...extra }, 'request failed');
  else logger.debug({ errorId: appError.id, name: appError.name, msg: appError.message, ...extra }, 'request rejected');
}

export function sendError(res: Response | ServerResponse, appError: AppError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(appError.toJSON());
  res.statusCode = appError.statusCode;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  if (appError.statusCode === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appError = toAppError(err);
    logError(logger, appError, err, { method: req.method, path: req.path });
    sendError(res, appError);
  };
}
