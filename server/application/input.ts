import { invalidRequest } from './errors';

/** Reads a required non-empty string field (at most `maxLength` characters) from a client event. */
export function requireString(input: Record<string, unknown>, field: string, maxLength = 128): string {
  const v = input[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) {
    throw invalidRequest(field, `a non-empty string of at most ${maxLength} characters`);
  }
  return v;
}

/** Reads a required integer field (the domain decides its range). */
export function requireInteger(input: Record<string, unknown>, field: string): number {
  const v = input[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalidRequest(field, 'an integer');
  return v;
}

/** Reads a required boolean field. */
export function requireBoolean(input: Record<string, unknown>, field: string): boolean {
  const v = input[field];
  if (typeof v !== 'boolean') throw invalidRequest(field, 'true or false');
  return v;
}

/** Reads an optional integer field. */
export function optionalInteger(input: Record<string, unknown>, field: string): number | undefined {
  return input[field] === undefined ? undefined : requireInteger(input, field);
}
