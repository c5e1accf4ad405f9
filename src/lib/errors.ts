// One error type for the whole service, with codes from the public table (docs/spec/api-reference.md).
// This file is also the one place that maps codes to HTTP statuses; the REST envelope and the
// GraphQL `extensions.code` are both built from it (rest/errors.ts, graphql/errors.ts).

export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  storage_quota_exceeded: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_error: 422,
  rate_limit_exceeded: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, headers?: Record<string, string>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static notFound(what = 'Resource'): AppError {
    return new AppError('not_found', `${what} not found`);
  }

  static validation(fields: FieldErrors, message = 'Validation failed'): AppError {
    return new AppError('validation_error', message, { fields });
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
}

/** The documented envelope. Internal errors never leak their message. */
export function errorBody(e: AppError): ErrorBody {
  return { error: { code: e.code, message: e.message, details: e.details } };
}

export const INTERNAL_ERROR = () => new AppError('internal_error', 'An internal error occurred');

const NUL_TEXT = 'Text must not contain the NUL character (U+0000)';

/**
 * PostgreSQL refuses U+0000 in text (SQLSTATE 22021). The REST door refuses it by field at its edge
 * (rest/inputs.ts); whatever still reaches the database (GraphQL variables, form fields) is the client's
 * 422, not a 500 (found by tests/fuzz.test.ts): lib/db.ts maps it with the other database errors.
 */
export function nulTextError(e: unknown): AppError | undefined {
  for (let cur = e, depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const err = cur as { code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
    if (
      err.code === '22021' ||
      (typeof err.message === 'string' && /Code: `22021`|invalid byte sequence for encoding "UTF8": 0x00/.test(err.message))
    ) {
      return AppError.validation({ _: [NUL_TEXT] }, NUL_TEXT);
    }
    cur = err.originalError ?? err.cause;
  }
  return undefined;
}
