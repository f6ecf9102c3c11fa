// Request signing, built on wechatpay-node-v3's Pay class: we keep its Authorization formatting (getAuthorization)
// and its SHA256withRSA primitive (sha256WithRsa), and replace buildAuthorization, whose nonce comes from Math.random,
// whose clock is the wall clock, and whose getSignature drops the empty-body line of a body-less POST. We also replace
// sha256WithRsa: the library hands its PEM bytes to crypto on every call, which re-parses the key each time (about a
// third of the cost of a signature); ours signs with the KeyObject parsed once when the configuration was read.
import { createPublicKey, sign as rsaSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import Pay from 'wechatpay-node-v3';
import { signingMerchantPair, type WechatPayV3Config } from './config';

/** The clock and randomness the adapter uses; injected so tests and the simulator's virtual clock can drive them. */
export interface WechatPayDeps {
  /** Epoch milliseconds now: transport time (signature timestamps and their ±5-minute windows). */
  nowMs: () => number;
  /**
   * Business time (epoch ms) that order and prepay expiry are computed and checked against — the clock the payment
   * core compares them with (docs/adr/0006). Defaults to `nowMs`; in production both are the same clock.
   */
  businessNowMs?: () => number;
  /** `size` cryptographically random bytes (crypto.randomBytes; never Math.random). */
  randomBytes: (size: number) => Buffer;
}

/** Signs requests and wx.requestPayment parameters with the merchant's API private key. */
export interface RequestSigner {
  /** The Authorization header for `METHOD pathWithQuery` carrying exactly `body` ('' for none). */
  authorization(method: string, pathWithQuery: string, body: string): string;
  /** base64 SHA256withRSA over `message` (UTF-8). */
  sign(message: string): string;
  /** A fresh nonce: 32 upper-case hex characters from the injected random source. */
  nonce(): string;
}

/** The exact text a request signature covers: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` (BODY '' when none). */
export function requestSignatureMessage(
  method: string,
  pathWithQuery: string,
  timestamp: string,
  nonce: string,
  body: string,
): string {
  return `${method}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** The path and query of `url` (absolute, or already a path): what the request signature covers. */
export function signedPathOf(url: string): string {
  const u = new URL(url, 'https://api.mch.weixin.qq.com');
  return `${u.pathname}${u.search}`;
}

/**
 * wechatpay-node-v3's Pay with the unsound parts replaced. Its endpoint methods (transactions_jsapi, query, close,
 * refunds, tradebill, …) still compose URLs and bodies, and call {@link buildAuthorization} — ours — to sign them.
 */
export class WechatPayClient extends Pay implements RequestSigner {
  private readonly deps: WechatPayDeps;
  private readonly signingKey: KeyObject;

  /**
   * `appid`/`mchid` are what the library puts into direct-mode bodies (partner mode: sp_appid/sp_mchid). During a
   * rotation (the *_NEXT settings) the new key and its serial sign everything; see {@link signingMerchantPair}.
   */
  constructor(config: WechatPayV3Config, appid: string, mchid: string, deps: WechatPayDeps) {
    const pair = signingMerchantPair(config);
    super({
      appid,
      mchid,
      serial_no: pair.serial,
      // The library only reads this to derive serial_no, which we always give; without a certificate the
      // merchant public key stands in so the constructor's presence check passes.
      publicKey: Buffer.from(
        pair.certificatePem ??
          (createPublicKey(pair.privateKey).export({ type: 'spki', format: 'pem' }) as string),
      ),
      privateKey: Buffer.from(pair.privateKeyPem),
    });
    this.deps = deps;
    this.signingKey = pair.privateKey;
  }

  /**
   * Every signature the adapter makes (request Authorization, paySign, and the library's own callers) lands here.
   * The PEM given to the library above stays unused by it.
   */
  override sha256WithRsa(data: string): string {
    return rsaSign('sha256', Buffer.from(data, 'utf8'), this.signingKey).toString('base64');
  }

  nonce(): string {
    return this.deps.randomBytes(16).toString('hex').toUpperCase();
  }

  authorization(method: string, pathWithQuery: string, body: string): string {
    const nonce = this.nonce();
    const timestamp = String(Math.floor(this.deps.nowMs() / 1000));
    const signature = this.sha256WithRsa(
      requestSignatureMessage(method, pathWithQuery, timestamp, nonce, body),
    );
    return this.getAuthorization(nonce, timestamp, signature);
  }

  override sign(message: string): string {
    return this.sha256WithRsa(message);
  }

  /**
   * Called by the library's endpoint methods with the URL (host included) and the body object it is about to hand to
   * the transport, which serialises the same object with the same JSON.stringify, so the signed bytes are the sent bytes.
   */
  protected override buildAuthorization(
    method: string,
    url: string,
    params?: Record<string, unknown>,
  ): string {
    return this.authorization(method, signedPathOf(url), params === undefined ? '' : JSON.stringify(params));
  }
}
