// What can go wrong talking to the API, as values a caller can branch on: ApiError (the server answered
// with a Kubernetes Status; a StatusError, so it keeps code/reason/details) and TransportError (no usable
// answer: connection refused or reset, timeout, abort, malformed response). Predicates mirror
// k8s.io/apimachinery/pkg/api/errors. No I/O here.
import { StatusError, type Status, type StatusDetails, type StatusReason } from '../api/errors.js';

export class ApiError extends StatusError {
  constructor(
    code: number,
    reason: StatusReason,
    message: string,
    details: StatusDetails | undefined,
    /** The Status as the server sent it (or synthesised from a non-Status body). */
    readonly status: Status,
  ) {
    super(code, reason, message, details);
    this.name = 'ApiError';
  }
}

export type TransportErrorKind = 'connect' | 'reset' | 'timeout' | 'aborted' | 'protocol';

export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    /** The system error code when there is one (ECONNREFUSED, ECONNRESET, ...). */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

const reasonForCode: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status';
}

/** ApiError from a Status object (e.g. the object of a watch ERROR event). */
export function apiErrorFromStatus(s: Partial<Status>, fallbackCode = 500): ApiError {
  const code = typeof s.code === 'number' && s.code > 0 ? s.code : fallbackCode;
  const reason = (s.reason || reasonForCode[code] || '') as StatusReason;
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: s.message ?? '',
    reason,
    code,
    ...(s.details ? { details: s.details } : {}),
  };
  return new ApiError(code, reason, status.message, s.details, status);
}

/** ApiError for an HTTP error response: the Status body when there is one, else a synthesised Status. */
export function apiErrorFromResponse(httpStatus: number, body: string): ApiError {
  let parsed: unknown;
  try {
    parsed = body ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) return apiErrorFromStatus({ ...parsed, code: parsed.code || httpStatus }, httpStatus);
  const text = body.trim().slice(0, 500);
  return apiErrorFromStatus(
    { code: httpStatus, message: text || `the server responded with status ${httpStatus}` },
    httpStatus,
  );
}

const hasReason = (err: unknown, reason: StatusReason, code: number): boolean =>
  err instanceof StatusError && (err.reason === reason || (err.reason === '' && err.code === code));

export const isNotFound = (err: unknown) => hasReason(err, 'NotFound', 404);
export const isAlreadyExists = (err: unknown) => hasReason(err, 'AlreadyExists', 409);
export const isConflict = (err: unknown) => hasReason(err, 'Conflict', 409);
export const isInvalid = (err: unknown) => hasReason(err, 'Invalid', 422);
export const isForbidden = (err: unknown) => hasReason(err, 'Forbidden', 403);
export const isUnauthorized = (err: unknown) => hasReason(err, 'Unauthorized', 401);
export const isTooManyRequests = (err: unknown) => err instanceof StatusError && err.code === 429;
/** 410: the requested resourceVersion (or continue token) is too old; relist. */
export const isResourceExpired = (err: unknown) =>
  err instanceof StatusError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
export const isTransportError = (err: unknown): err is TransportError => err instanceof TransportError;
