// A complete HTTP/1.1 response carrying a Kubernetes Status, for refusing an upgrade request on a raw socket
// (after Node hands over an 'upgrade' there is no ServerResponse). Pure.
import { STATUS_CODES } from 'node:http';
import { StatusError, type StatusReason } from '../../api/errors.js';

export function rawHttpResponse(code: number, reason: StatusReason, message: string): string {
  return rawStatusResponse(new StatusError(code, reason, message));
}

export function rawStatusResponse(err: StatusError): string {
  const body = JSON.stringify(err.toStatus());
  return [
    `HTTP/1.1 ${err.code} ${STATUS_CODES[err.code] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
