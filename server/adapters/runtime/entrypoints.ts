import type { CloudHttpEvent, CloudHttpResponse } from './http-event';
import { fromCloudHttpEvent, jsonResponse } from './http-event';
import type { RawHttpRequest } from './http-event';
import { randomUUID } from 'node:crypto';
import type { Logger } from './logger';
import { withLogContext } from './logger';

/** An HTTP-access function `main`: normalises the event, never throws (an exception answers 500). */
export function createHttpMain(opts: {
  name: string;
  log: Logger;
  handle: (req: RawHttpRequest) => Promise<CloudHttpResponse>;
}) {
  return async function main(event: CloudHttpEvent): Promise<CloudHttpResponse> {
    try {
      const req = fromCloudHttpEvent(event ?? {});
      return await withLogContext({ fn: opts.name, requestId: randomUUID() }, () => opts.handle(req));
    } catch (e) {
      opts.log.error('http.failed', { fn: opts.name, error: e, stack: (e as Error)?.stack });
      return jsonResponse(500, { code: 'FAIL', message: 'internal error' });
    }
  };
}

/** A timer-triggered function `main`: runs the job and answers its summary; a failure is logged and rethrown. */
export function createTimerMain<R>(opts: { name: string; log: Logger; run: () => Promise<R> }) {
  return async function main(event: unknown): Promise<R> {
    const trigger = (event as { TriggerName?: unknown } | null)?.TriggerName;
    try {
      return await withLogContext({ fn: opts.name, requestId: randomUUID(), trigger }, () => opts.run());
    } catch (e) {
      opts.log.error('timer.failed', { fn: opts.name, trigger, error: e, stack: (e as Error)?.stack });
      throw e;
    }
  };
}
