/** The event CloudBase HTTP access delivers to a function. */
export interface CloudHttpEvent {
  path?: string;
  httpMethod?: string;
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  /** Set by the platform: sourceIp is the address the request came from (never anything the caller wrote). */
  requestContext?: { sourceIp?: string | undefined } | null;
}

/** What an HTTP-access function answers. */
export interface CloudHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A normalised HTTP request: lower-case header names and the raw body bytes exactly as sent. */
export interface RawHttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  rawBody: Buffer;
  /** The caller's address from the platform's requestContext; absent when the platform gave none. */
  sourceIp?: string;
}

/** Normalises a CloudBase HTTP event; the body is decoded from base64 when flagged, never re-serialised. */
export function fromCloudHttpEvent(event: CloudHttpEvent): RawHttpRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {}))
    if (typeof v === 'string') query[k] = v;
  const body = event.body ?? '';
  const rawBody = event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  const sourceIp = event.requestContext?.sourceIp;
  return {
    method: (event.httpMethod ?? 'GET').toUpperCase(),
    path: event.path ?? '/',
    headers,
    query,
    rawBody,
    ...(typeof sourceIp === 'string' && sourceIp !== '' ? { sourceIp } : {}),
  };
}

/** A JSON answer for HTTP access. */
export function jsonResponse(statusCode: number, body: unknown): CloudHttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}
