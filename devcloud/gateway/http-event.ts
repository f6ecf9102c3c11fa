// CloudBase HTTP access (云函数 HTTP 访问服务): turning an HTTP request into the event a function receives, and the
// function's {statusCode, headers, body, isBase64Encoded} back into an HTTP response. The body reaches the function
// byte-exact: text in valid UTF-8 as a string, anything else base64 with isBase64Encoded: true — never re-serialised,
// because WeChat Pay signatures are computed over the raw bytes.
import type { IncomingHttpHeaders } from 'node:http';
import { isPlainObject } from '../db/values';

/** The event an HTTP-access function receives. */
export interface CloudHttpEvent {
  path: string;
  httpMethod: string;
  headers: Record<string, string>;
  queryStringParameters: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
  requestContext: { requestId: string; sourceIp: string; httpMethod: string; path: string };
}

/** An HTTP response to send. */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+(json|xml))/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Encodes a raw body as the event carries it: a UTF-8 string for valid text types, else base64. */
export function encodeBody(
  raw: Buffer,
  contentType: string | undefined,
): { body: string; isBase64Encoded: boolean } {
  if (raw.length === 0) return { body: '', isBase64Encoded: false };
  if (contentType !== undefined && TEXT_TYPES.test(contentType)) {
    try {
      return { body: strictUtf8.decode(raw), isBase64Encoded: false };
    } catch {
      // not valid UTF-8: fall through to base64 so no byte is altered
    }
  }
  return { body: raw.toString('base64'), isBase64Encoded: true };
}

/** Builds the HTTP-access event. `path` is the request path as the function's HTTP access path sees it. */
export function buildHttpEvent(
  req: { method: string; headers: IncomingHttpHeaders; query: URLSearchParams; sourceIp: string },
  path: string,
  raw: Buffer,
  requestId: string,
): CloudHttpEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of req.query) queryStringParameters[k] = v;
  const { body, isBase64Encoded } = encodeBody(raw, headers['content-type']);
  return {
    path,
    httpMethod: req.method,
    headers,
    queryStringParameters,
    body,
    isBase64Encoded,
    requestContext: { requestId, sourceIp: req.sourceIp, httpMethod: req.method, path },
  };
}

/**
 * Maps a function's return value to a response: an integration response {statusCode, headers?, body?,
 * isBase64Encoded?} is sent as is; any other value is sent as a JSON body with 200 (as CloudBase does).
 */
export function toHttpAnswer(result: unknown): HttpAnswer {
  if (isPlainObject(result) && typeof result.statusCode === 'number' && Number.isInteger(result.statusCode)) {
    const statusCode = result.statusCode >= 100 && result.statusCode <= 599 ? result.statusCode : 502;
    const headers: Record<string, string> = {};
    if (isPlainObject(result.headers)) {
      for (const [k, v] of Object.entries(result.headers)) {
        if (typeof v === 'string' || typeof v === 'number') headers[k.toLowerCase()] = String(v);
      }
    }
    let body: Buffer;
    if (result.body === undefined || result.body === null) body = Buffer.alloc(0);
    else if (typeof result.body === 'string')
      body = Buffer.from(result.body, result.isBase64Encoded === true ? 'base64' : 'utf8');
    else {
      body = Buffer.from(JSON.stringify(result.body));
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    return { statusCode, headers, body };
  }
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: Buffer.from(JSON.stringify(result ?? null)),
  };
}
