// .data/dev-stack.json tells a newcomer who is who on the local stack; the identities in it are the ones the
// functions are configured with (staff may refund, the tester pays the tester amount, anyone else is a shopper).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  LOCAL_ADMIN_OPENID,
  LOCAL_STAFF_OPENID,
  LOCAL_TESTER_OPENID,
} from '../../devcloud/stack/function-env';
import { writeDevStackFile, type DevStackFile } from '../../devcloud/stack/stack';
import { placeOrder, useTestStack } from '../support/stack';

describe('dev-stack.json', () => {
  const stack = useTestStack();
  let file: DevStackFile;
  beforeAll(() => {
    const path = join(stack.dataDir, 'dev-stack.json');
    writeDevStackFile(path, stack);
    file = JSON.parse(readFileSync(path, 'utf8')) as DevStackFile;
    // It holds test keys: readable by the owner only.
    expect(statSync(path).mode & 0o077).toBe(0);
  });

  it('names the local staff, tester and shopper identities and the tester amount', () => {
    expect(file.identities).toEqual({
      adminOpenids: [LOCAL_ADMIN_OPENID, LOCAL_STAFF_OPENID],
      testerOpenids: [LOCAL_TESTER_OPENID],
      testerPriceFen: 1,
      shopperOpenids: ['o-dev-shopper', 'o-dev-shopper-2'],
    });
    expect(file.gatewayUrl).toBe(stack.gatewayUrl);
  });

  it('the identities act as the file says', async () => {
    const [admin] = file.identities.adminOpenids;
    const [tester] = file.identities.testerOpenids;
    const [shopper] = file.identities.shopperOpenids;
    const testOrder = await placeOrder(stack, tester!, 'sku-coffee-250g', 1);
    expect(testOrder).toMatchObject({ isTestOrder: true, payableFen: file.identities.testerPriceFen });
    const order = await placeOrder(stack, shopper!, 'sku-coffee-250g', 1);
    expect(order).toMatchObject({ isTestOrder: false, payableFen: order.totalFen });
    expect(await stack.as(admin!).call('refund', 'list', { outTradeNo: order.outTradeNo })).toMatchObject({
      ok: true,
    });
    expect(await stack.as(shopper!).call('refund', 'list', { outTradeNo: order.outTradeNo })).toMatchObject({
      ok: false,
      error: { code: 'AUTH.FORBIDDEN' },
    });
  });
});
