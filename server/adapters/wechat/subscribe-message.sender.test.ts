import { SubscribeSendError, cloudSubscribeMessageSender } from './subscribe-message.sender';
import type { SubscribeMessage } from '../../application/ports/subscribe-message.port';

const MSG: SubscribeMessage = {
  touser: 'o-1',
  templateId: 't-1',
  page: 'order/detail/index?outTradeNo=T1',
  data: { thing1: { value: 'x' } },
  miniprogramState: 'trial',
  lang: 'zh_CN',
};

const sender = (send: (input: Record<string, unknown>) => Promise<unknown>) =>
  cloudSubscribeMessageSender({ subscribeMessage: { send } });

describe('cloudSubscribeMessageSender', () => {
  it('sends WeChat fields as given and reads errCode 0 as sent', async () => {
    const seen: Record<string, unknown>[] = [];
    const s = sender(async (input) => {
      seen.push(input);
      return { errCode: 0, errMsg: 'openapi.subscribeMessage.send:ok' };
    });
    await expect(s.send(MSG)).resolves.toEqual({ kind: 'sent' });
    expect(seen).toEqual([{ ...MSG }]);
  });

  it('reads 43101 as not subscribed and 47003/41030/40037/40003 as refused, thrown or answered', async () => {
    await expect(
      sender(() => Promise.reject(Object.assign(new Error('user refuse'), { errCode: 43101 }))).send(MSG),
    ).resolves.toMatchObject({
      kind: 'not-subscribed',
      errcode: 43101,
    });
    for (const code of [47003, 41030, 40037, 40003]) {
      await expect(sender(async () => ({ errCode: code, errMsg: 'x' })).send(MSG)).resolves.toMatchObject({
        kind: 'refused',
        errcode: code,
      });
    }
  });

  it('throws what may succeed later: -1, unknown codes, errors without a code, no API', async () => {
    await expect(
      sender(() => Promise.reject(Object.assign(new Error('busy'), { errCode: -1 }))).send(MSG),
    ).rejects.toBeInstanceOf(SubscribeSendError);
    await expect(sender(async () => ({ errcode: 45009 })).send(MSG)).rejects.toThrow(/45009/);
    await expect(sender(() => Promise.reject(new Error('socket hang up'))).send(MSG)).rejects.toThrow(
      /socket/,
    );
    await expect(cloudSubscribeMessageSender(undefined).send(MSG)).rejects.toThrow(/not available/);
  });
});
