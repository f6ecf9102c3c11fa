// Refund notifications built and delivered by a test (WeChat's own are usually dropped with a notify.drop fault), so a
// test decides when each delivery happens and reads what it cost.
import { buildNotification, type BuiltNotification } from '../../simulator/testing';
import type { Stack } from '../../devcloud/stack/stack';
import type { HarnessStack } from '../../devcloud/harness';

/** WeChat's RFC 3339 time (seconds, UTC offset) for an epoch-ms instant. */
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, '+00:00');
}

/** A signed, encrypted REFUND.<status> for a refund as WeChat (the simulator) holds it now, as WeChat would send it. */
export async function refundNotification(stack: Stack, outRefundNo: string): Promise<BuiltNotification> {
  const id = stack.sim.identity;
  const r = await stack.sim.control.refund(outRefundNo);
  return buildNotification({
    eventType: `REFUND.${r.status}`,
    resource: {
      mchid: id.direct.mchid,
      out_trade_no: r.outTradeNo,
      transaction_id: r.transactionId,
      out_refund_no: r.outRefundNo,
      refund_id: r.refundId,
      refund_status: r.status,
      ...(r.successAt === undefined ? {} : { success_time: rfc3339(r.successAt) }),
      user_received_account: r.userReceivedAccount,
      amount: { total: r.totalFen, refund: r.refundFen, payer_total: r.totalFen, payer_refund: r.refundFen },
    },
    apiV3Key: id.direct.apiV3Key,
    signer: {
      privateKeyPem: id.platform.certificate.privateKeyPem,
      serial: id.platform.certificate.serial,
    },
  });
}

/** POSTs a notification to payNotify; answers the HTTP status and the invocation's database round trips. */
export async function deliver(
  stack: HarnessStack,
  n: BuiltNotification,
): Promise<{ status: number; ops: number }> {
  const res = await stack.gateway.post('/http/payNotify', n.body, n.headers);
  return { status: res.status, ops: res.dbOps };
}
