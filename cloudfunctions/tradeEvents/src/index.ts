// `tradeEvents`: WeChat's trade-management message push (发货信息管理: settlement, shipping reminders). Not for
// clients: invocations from the mini program, HTTP, timers or other functions are refused (see docs/API.md).
import { createTradeEventsMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createTradeEventsMain(initCloud());
