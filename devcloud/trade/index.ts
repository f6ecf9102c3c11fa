// The local stand-in for WeChat's 发货信息管理 (`cloud.openapi.wxa.sec.order.*`, the confirm-receipt view and the
// trade-management message push). Dev-only; see local-trade.ts.
export * from './local-trade';
export * from './payments';
export { tradeRoutes } from './routes';
