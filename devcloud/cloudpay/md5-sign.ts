// WeChat Pay API v2's MD5 signature, as v2 documents it for requests, answers and the wx.requestPayment parameters:
//   1. take every field except `sign` whose value is not empty (undefined, null and "" are left out);
//   2. sort the field names by ASCII code, ascending;
//   3. join them as name=value with "&";
//   4. append "&key=" + the merchant's API key (the 32-character v2 key);
//   5. MD5 over the UTF-8 bytes, written as upper-case hex.
// For wx.requestPayment the fields are appId, timeStamp, nonceStr, package and signType ("MD5"), so unlike v3's RSA
// paySign the signType IS covered here. In production the key is Cloud Development's (the service provider's), which
// the shop never holds: the shop cannot recompute paySign, only pass it on.
import { createHash } from 'node:crypto';

/** The string that is hashed: sorted non-empty fields (without `sign`) joined with "&", then "&key=<key>". */
export function md5SignInput(fields: Readonly<Record<string, unknown>>, key: string): string {
  const parts = Object.keys(fields)
    .filter((k) => k !== 'sign')
    .filter((k) => {
      const v = fields[k];
      return (
        v !== undefined &&
        v !== null &&
        v !== '' &&
        (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      );
    })
    .sort()
    .map((k) => `${k}=${String(fields[k] as string | number | boolean)}`);
  return `${parts.join('&')}&key=${key}`;
}

/** The v2 MD5 signature of `fields` with merchant key `key`: 32 upper-case hex characters. */
export function md5Sign(fields: Readonly<Record<string, unknown>>, key: string): string {
  return createHash('md5').update(md5SignInput(fields, key), 'utf8').digest('hex').toUpperCase();
}
