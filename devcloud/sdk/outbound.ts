// The WeChat Pay calls of an invocation, as steps of its critical path (./steps.ts): every HTTP request a function
// starts (on this stack only the WeChat Pay provider sends any: cloudPay, openapi and the database are in-process
// stand-ins) is a step from its start to its end. Observed through node's http diagnostics channel, which publishes
// synchronously inside http.request(), so the invocation's AsyncLocalStorage context is the caller's.
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { currentInvocation } from './context';

let installed = false;

/** Starts recording the functions' outgoing HTTP requests (once per process; later calls do nothing). */
export function trackOutboundRequests(): void {
  if (installed) return;
  installed = true;
  subscribe('http.client.request.start', (message) => {
    const steps = currentInvocation()?.steps;
    if (steps === undefined) return;
    const { request } = message as { request: ClientRequest };
    request.once('close', steps.begin('pay'));
  });
}
