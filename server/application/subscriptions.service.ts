import type { MessageTemplatesView, SubscribedView } from '../../typings/contracts/msg';
import { invalidRequest } from './errors';
import type { SubscriptionStore } from './ports/subscribe-message.port';
import type { Clock } from './ports/runtime.port';
import type { MessageSettings } from './subscribe-messages';
import { MESSAGE_KINDS } from './subscribe-messages';

/** wx.requestSubscribeMessage takes at most 5 ids per call (3 on older clients): more results cannot be genuine. */
export const MAX_RESULTS_PER_CALL = 5;
/** Older clients take at most 3 ids per call: the list offered to ask for never holds more. */
export const MAX_IDS_TO_ASK = 3;

/**
 * The shopper's side of subscription messages: which templates to ask for, and counting what they accepted. WeChat
 * cannot be asked how many sends are left, so the count is ours (docs/adr/0010). A client that reports accepts it never
 * gave only earns sends that WeChat answers 43101, which the message job takes quietly.
 */
export class SubscriptionService {
  constructor(
    private readonly settings: MessageSettings,
    private readonly store: SubscriptionStore,
    private readonly clock: Clock,
  ) {}

  templates(): MessageTemplatesView {
    const t = this.settings.templates;
    const byKind = {
      paid: t.paid?.templateId ?? null,
      shipped: t.shipped?.templateId ?? null,
      refund: t.refund?.templateId ?? null,
    };
    const tmplIds = MESSAGE_KINDS.map((k) => byKind[k]).filter((id): id is string => id !== null);
    return { tmplIds: tmplIds.slice(0, MAX_IDS_TO_ASK), byKind };
  }

  /**
   * Counts one accept per configured id whose result starts with "accept" (e.g. acceptWithAudio). Unknown ids and
   * other results (reject, ban, filter) are ignored; more results than one call can hold, or a malformed one, is refused.
   */
  async subscribed(openid: string, results: unknown): Promise<SubscribedView> {
    const expectation = `an object of at most ${MAX_RESULTS_PER_CALL} template id → result strings`;
    if (typeof results !== 'object' || results === null || Array.isArray(results))
      throw invalidRequest('results', expectation);
    const entries = Object.entries(results as Record<string, unknown>).filter(([k]) => k !== 'errMsg');
    if (entries.length > MAX_RESULTS_PER_CALL) throw invalidRequest('results', expectation);
    for (const [id, result] of entries) {
      if (id.length > 128 || typeof result !== 'string' || result.length > 32)
        throw invalidRequest('results', expectation);
    }
    const configured = new Set(
      MESSAGE_KINDS.map((k) => this.settings.templates[k]?.templateId).filter(
        (id): id is string => id !== undefined,
      ),
    );
    const counted = entries
      .filter(([id, result]) => configured.has(id) && (result as string).startsWith('accept'))
      .map(([id]) => id);
    if (counted.length > 0) await this.store.addAccepts(openid, counted, this.clock.now());
    return { counted, counts: await this.store.counts(openid, [...configured]) };
  }
}
