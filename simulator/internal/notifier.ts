// Callbacks: encrypted, signed, POSTed to notify_url and retried on WeChat's schedule in virtual time.
import { randomUUID } from 'node:crypto';
import type {
  MerchantMode,
  NotificationAttempt,
  NotificationRecord,
  NotificationStatus,
  SimSettings,
} from '../types';
import type { VirtualClock } from './clock';
import { formatRfc3339Beijing } from './clock';
import { aesGcmEncrypt, randomAlnum, randomHex, signSha256Rsa } from './crypto';
import { ControlError } from './errors';
import type { EventLog } from './events';
import { excerpt } from './events';
import type { FaultBook } from './faults';
import type { HttpPoster } from './http-client';
import type { SimIdentity } from './identity';
import { callbackSigner, merchantKeys } from './keys';
import type { TimedSource } from './scheduler';
import type { JournalStore } from './store';

const COLLECTION = 'notification';

/** WeChat's retry intervals after a failed delivery, in ms: 15s,15s,30s,3m,10m,20m,30m,30m,30m,60m,3h,3h,3h,6h,6h. */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  15e3,
  15e3,
  30e3,
  3 * 60e3,
  10 * 60e3,
  20 * 60e3,
  30 * 60e3,
  30 * 60e3,
  30 * 60e3,
  60 * 60e3,
  3 * 3600e3,
  3 * 3600e3,
  3 * 3600e3,
  6 * 3600e3,
  6 * 3600e3,
];

/** Seconds a stale-timestamp fault moves Wechatpay-Timestamp into the past (beyond the 5-minute window). */
const STALE_SECONDS = 600;
const REORDER_HOLD_MS = 60_000;
const REORDER_SPACING_MS = 1000;
/** Deliveries in flight at once (WeChat delivers concurrently; a cap keeps a burst from exhausting sockets). */
const MAX_IN_FLIGHT = 32;

/** What to notify: the plaintext resource is encrypted with the receiving merchant's APIv3 key. */
export interface NotificationInput {
  eventType: string;
  summary: string;
  merchant: MerchantMode;
  notifyUrl: string;
  originalType: string;
  associatedData: string;
  resource: Record<string, unknown>;
  outTradeNo?: string;
  outRefundNo?: string;
}

/** Dependencies of the notifier. */
export interface NotifierDeps {
  store: JournalStore;
  clock: VirtualClock;
  identity: SimIdentity;
  faults: FaultBook;
  events: EventLog;
  poster: HttpPoster;
  settings: () => SimSettings;
  notifyTimeoutMs: number;
  kick: () => void;
}

interface PostOptions {
  kind: NotificationAttempt['kind'];
  n: number;
  scheduledAt: number;
  stale?: boolean;
  badSignature?: boolean;
}

/** Creates notifications and delivers them; a TimedSource for the scheduler. */
export class Notifier implements TimedSource {
  private readonly inFlight = new Set<string>();
  /** Ids of pending or held notifications: timed work only looks at these, not at the whole history. */
  private readonly active = new Set<string>();
  private seq = 0;

  constructor(private readonly d: NotifierDeps) {
    for (const n of d.store.all<NotificationRecord>(COLLECTION).values()) {
      this.seq = Math.max(this.seq, n.seq);
      if (n.status === 'pending' || n.status === 'held') this.active.add(n.id);
    }
  }

  /** Creates, persists and schedules a notification (faults: delay, reorder). */
  create(input: NotificationInput): NotificationRecord {
    const { keys } = merchantKeys(this.d.identity, input.merchant);
    const now = this.d.clock.now();
    const id = randomUUID();
    const nonce = randomAlnum(12);
    const body = JSON.stringify({
      id,
      create_time: formatRfc3339Beijing(now),
      resource_type: 'encrypt-resource',
      event_type: input.eventType,
      summary: input.summary,
      resource: {
        original_type: input.originalType,
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aesGcmEncrypt(JSON.stringify(input.resource), keys.apiV3Key, nonce, input.associatedData),
        associated_data: input.associatedData,
        nonce,
      },
    });
    this.seq += 1;
    const rec: NotificationRecord = {
      id,
      seq: this.seq,
      eventType: input.eventType,
      merchant: input.merchant,
      mchid: merchantKeys(this.d.identity, input.merchant).mchid,
      notifyUrl: input.notifyUrl,
      body,
      createdAt: now,
      status: 'pending',
      nextAttemptAt: now,
      deliveries: 0,
      attempts: [],
    };
    if (input.outTradeNo !== undefined) rec.outTradeNo = input.outTradeNo;
    if (input.outRefundNo !== undefined) rec.outRefundNo = input.outRefundNo;
    const ctx = { outTradeNo: input.outTradeNo, eventType: input.eventType };
    const delay = this.d.faults.take('notify.delay', ctx);
    if (delay) rec.nextAttemptAt = now + (delay.delayMs ?? 0);
    const reorder = this.d.faults.take('notify.reorder', ctx);
    if (reorder) {
      rec.status = 'held';
      delete rec.nextAttemptAt;
      rec.heldBy = reorder.id;
      rec.holdUntil = now + (reorder.delayMs ?? REORDER_HOLD_MS);
    }
    this.save(rec);
    this.d.events.add({
      kind: 'notify',
      at: now,
      summary: `${input.eventType} ${id} created for ${input.notifyUrl}${rec.status === 'held' ? ' (held: reorder fault)' : ''}`,
      notificationId: id,
      mchid: rec.mchid,
      ...(input.outTradeNo !== undefined ? { outTradeNo: input.outTradeNo } : {}),
      ...(input.outRefundNo !== undefined ? { outRefundNo: input.outRefundNo } : {}),
    });
    if (reorder) this.releaseIfWindowFull(reorder.id, reorder.window ?? 2);
    this.d.kick();
    return rec;
  }

  /** One notification; throws ControlError 404 if unknown. */
  get(id: string): NotificationRecord {
    const rec = this.d.store.get<NotificationRecord>(COLLECTION, id);
    if (!rec) throw new ControlError(404, 'SIM.NOTIFICATION_NOT_FOUND', `no notification with id ${id}`);
    return rec;
  }

  /** Notifications matching the filter, oldest first. */
  list(
    f: { outTradeNo?: string; status?: NotificationStatus; eventType?: string; limit?: number } = {},
  ): NotificationRecord[] {
    const all = [...this.d.store.all<NotificationRecord>(COLLECTION).values()]
      .filter(
        (n) =>
          (f.outTradeNo === undefined || n.outTradeNo === f.outTradeNo) &&
          (f.status === undefined || n.status === f.status) &&
          (f.eventType === undefined || n.eventType.startsWith(f.eventType)),
      )
      .sort((a, b) => a.seq - b.seq);
    const limit = f.limit ?? 500;
    return all.slice(Math.max(0, all.length - limit));
  }

  /** Delivers once more now, outside the schedule; a success marks a pending/failed notification delivered. */
  async replay(id: string): Promise<NotificationRecord> {
    const rec = this.get(id);
    const now = this.d.clock.now();
    const attempt = await this.post(rec, {
      kind: 'replay',
      n: Math.max(0, rec.deliveries - 1),
      scheduledAt: now,
    });
    const cur = this.get(id);
    cur.attempts.push(attempt);
    if (attempt.ok && cur.status !== 'delivered') {
      cur.status = 'delivered';
      delete cur.nextAttemptAt;
    }
    this.save(cur);
    this.d.kick();
    return cur;
  }

  nextDueAt(): number | undefined {
    // At the concurrency cap nothing can start; a finishing delivery kicks the scheduler again.
    if (this.inFlight.size >= MAX_IN_FLIGHT) return undefined;
    let min: number | undefined;
    for (const n of this.activeRecords()) {
      if (this.inFlight.has(n.id)) continue;
      const due = n.status === 'pending' ? n.nextAttemptAt : n.status === 'held' ? n.holdUntil : undefined;
      if (due !== undefined && (min === undefined || due < min)) min = due;
    }
    return min;
  }

  startDue(now: number): Promise<void>[] {
    const all = this.activeRecords();
    for (const n of all) {
      if (n.status === 'held' && n.holdUntil !== undefined && n.holdUntil <= now && n.heldBy !== undefined) {
        this.release(n.heldBy, now);
      }
    }
    const due = all
      .filter((n) => n.status === 'pending' && n.nextAttemptAt !== undefined && n.nextAttemptAt <= now)
      .filter((n) => !this.inFlight.has(n.id))
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || a.seq - b.seq)
      .slice(0, Math.max(0, MAX_IN_FLIGHT - this.inFlight.size));
    return due.map((n) => {
      this.inFlight.add(n.id);
      return this.deliver(n.id).finally(() => this.inFlight.delete(n.id));
    });
  }

  private releaseIfWindowFull(faultId: string, window: number): void {
    const held = this.heldBy(faultId);
    if (held.length >= window) this.release(faultId, this.d.clock.now());
  }

  private heldBy(faultId: string): NotificationRecord[] {
    return this.activeRecords().filter((n) => n.status === 'held' && n.heldBy === faultId);
  }

  /** Releases everything a reorder fault holds, newest first, one second (virtual) apart. */
  private release(faultId: string, now: number): void {
    const held = this.heldBy(faultId).sort((a, b) => b.seq - a.seq);
    held.forEach((n, i) => {
      n.status = 'pending';
      n.nextAttemptAt = now + i * REORDER_SPACING_MS;
      delete n.holdUntil;
      delete n.heldBy;
      this.save(n);
    });
    if (held.length > 0) {
      this.d.events.add({
        kind: 'notify',
        at: now,
        summary: `reorder: released ${held.length} held notification(s) newest first`,
      });
    }
    this.d.kick();
  }

  private async deliver(id: string): Promise<void> {
    const rec = this.get(id);
    if (rec.status !== 'pending' || rec.nextAttemptAt === undefined) return;
    const scheduledAt = rec.nextAttemptAt;
    const n = rec.deliveries;
    const kind = n === 0 ? 'delivery' : 'retry';
    const ctx = { outTradeNo: rec.outTradeNo, eventType: rec.eventType };
    const attempts: NotificationAttempt[] = [];
    if (this.d.faults.take('notify.probe', ctx)) {
      attempts.push(await this.post(rec, { kind: 'probe', n, scheduledAt, badSignature: true }));
    }
    let main: NotificationAttempt;
    if (this.d.faults.take('notify.drop', ctx)) {
      main = {
        n,
        kind,
        scheduledAt,
        at: this.d.clock.now(),
        realAt: Date.now(),
        realDurationMs: 0,
        signedWith: '',
        dropped: true,
        ok: false,
      };
      this.logAttempt(rec, main);
    } else {
      const stale = this.d.faults.take('notify.staleTimestamp', ctx) !== undefined;
      main = await this.post(rec, { kind, n, scheduledAt, stale });
    }
    attempts.push(main);
    const cur = this.get(id);
    cur.attempts.push(...attempts);
    cur.deliveries = n + 1;
    if (cur.status === 'delivered') {
      // a replay succeeded meanwhile: nothing left to schedule
    } else if (main.ok) {
      cur.status = 'delivered';
      delete cur.nextAttemptAt;
    } else {
      const interval = RETRY_SCHEDULE_MS[cur.deliveries - 1];
      if (interval === undefined) {
        cur.status = 'failed';
        delete cur.nextAttemptAt;
        this.d.events.add({
          kind: 'notify',
          at: this.d.clock.now(),
          summary: `${cur.eventType} ${cur.id} given up after ${RETRY_SCHEDULE_MS.length} retries`,
          notificationId: cur.id,
          ...(cur.outTradeNo !== undefined ? { outTradeNo: cur.outTradeNo } : {}),
        });
      } else {
        cur.nextAttemptAt = scheduledAt + interval;
      }
    }
    this.save(cur);
    if (main.ok && this.d.faults.take('notify.duplicate', ctx)) {
      const dup = await this.post(cur, { kind: 'duplicate', n, scheduledAt: this.d.clock.now() });
      const again = this.get(id);
      again.attempts.push(dup);
      this.save(again);
    }
  }

  private async post(rec: NotificationRecord, o: PostOptions): Promise<NotificationAttempt> {
    const keyMode = merchantKeys(this.d.identity, rec.merchant).keys.keyMode;
    const signer = callbackSigner(this.d.identity, keyMode, this.d.settings().switchingPublicKeyShare);
    const timestamp = String(Math.floor(Date.now() / 1000) - (o.stale ? STALE_SECONDS : 0));
    const nonce = randomAlnum(32);
    // A probe carries a well-formed signature over a different message: only verification can tell.
    const signed = o.badSignature
      ? `${timestamp}\n${nonce}\n${rec.body} \n`
      : `${timestamp}\n${nonce}\n${rec.body}\n`;
    const signature = signSha256Rsa(signed, signer.privateKeyPem);
    const at = this.d.clock.now();
    const realAt = Date.now();
    const r = await this.d.poster.post(
      rec.notifyUrl,
      {
        'Content-Type': 'application/json',
        'User-Agent': 'Mozilla/4.0 (WeChat Pay simulator)',
        'Wechatpay-Timestamp': timestamp,
        'Wechatpay-Nonce': nonce,
        'Wechatpay-Signature': signature,
        'Wechatpay-Serial': signer.serial,
        'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
        'Request-ID': `${randomHex(32)}-0`,
      },
      rec.body,
      this.d.notifyTimeoutMs,
    );
    const ok = (r.status === 200 || r.status === 204) && r.error === undefined;
    const attempt: NotificationAttempt = {
      n: o.n,
      kind: o.kind,
      scheduledAt: o.scheduledAt,
      at,
      realAt,
      realDurationMs: r.realDurationMs,
      signedWith: signer.serial,
      ok: o.kind === 'probe' ? false : ok,
    };
    if (o.stale) attempt.staleTimestamp = true;
    if (o.badSignature) attempt.badSignature = true;
    if (r.status !== undefined) attempt.status = r.status;
    if (r.error !== undefined) attempt.error = r.error;
    const body = excerpt(r.bodyExcerpt, 200);
    if (body !== undefined) attempt.responseExcerpt = body;
    this.logAttempt(rec, attempt);
    return attempt;
  }

  private save(rec: NotificationRecord): void {
    this.d.store.put(COLLECTION, rec.id, rec);
    if (rec.status === 'pending' || rec.status === 'held') this.active.add(rec.id);
    else this.active.delete(rec.id);
  }

  private activeRecords(): NotificationRecord[] {
    const out: NotificationRecord[] = [];
    for (const id of this.active) {
      const n = this.d.store.get<NotificationRecord>(COLLECTION, id);
      if (n) out.push(n);
    }
    return out;
  }

  private logAttempt(rec: NotificationRecord, a: NotificationAttempt): void {
    const outcome = a.dropped
      ? 'dropped (fault)'
      : a.status !== undefined
        ? String(a.status)
        : (a.error ?? 'no answer');
    const flags = [a.staleTimestamp ? 'stale timestamp' : '', a.badSignature ? 'bad signature probe' : '']
      .filter(Boolean)
      .join(', ');
    const warning =
      a.badSignature && a.status !== undefined && a.status < 300 ? ' — WARNING: probe accepted' : '';
    const ev: Parameters<EventLog['add']>[0] = {
      kind: 'notify',
      at: a.at,
      summary: `${rec.eventType} ${rec.id} ${a.kind} #${a.n}${flags ? ` (${flags})` : ''} → ${outcome}${warning}`,
      method: 'POST',
      path: rec.notifyUrl,
      realDurationMs: a.realDurationMs,
      notificationId: rec.id,
      mchid: rec.mchid,
    };
    if (a.status !== undefined) ev.status = a.status;
    if (rec.outTradeNo !== undefined) ev.outTradeNo = rec.outTradeNo;
    if (rec.outRefundNo !== undefined) ev.outRefundNo = rec.outRefundNo;
    if (a.responseExcerpt !== undefined) ev.responseExcerpt = a.responseExcerpt;
    this.d.events.add(ev);
  }
}
