// What the local stand-ins of WeChat's cloud calls (cloud.cloudPay.*, cloud.openapi.*) share: the rejection
// wx-server-sdk raises, and the platform's check of a function's config.json permissions.openapi.

/** The platform's code for a cloud call the function's config.json does not list. */
export const NO_OPENAPI_PERMISSION = -604101;

/** A cloud call's rejection as wx-server-sdk raises it: `errCode`, and `errMsg` "<api>:fail <message>". */
export function cloudCallError(
  api: string,
  errCode: number,
  message: string,
): Error & { errCode: number; errMsg: string } {
  const errMsg = `${api}:fail ${message}`;
  return Object.assign(new Error(errMsg), { errCode, errMsg });
}

/**
 * `run`, callable only when `allowed` (the function's config.json permissions.openapi; undefined: not checked) lists
 * `permission`: anything else rejects with -604101 before it reaches the stand-in, as the platform does. `api` names
 * the call in the rejection's errMsg.
 */
export function withPermission<T, R>(
  allowed: ReadonlySet<string> | undefined,
  permission: string,
  api: string,
  run: (arg: T) => Promise<R>,
): (arg: T) => Promise<R> {
  return (arg) =>
    allowed === undefined || allowed.has(permission)
      ? run(arg)
      : Promise.reject(
          cloudCallError(
            api,
            NO_OPENAPI_PERMISSION,
            'function has no permission to call this API (config.json openapi)',
          ),
        );
}
