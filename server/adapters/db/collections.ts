/** Collection names; data/collections.json declares each one's indexes and (denied) client permissions. */
export const Collections = {
  products: 'products',
  skus: 'skus',
  carts: 'carts',
  orders: 'orders',
  refunds: 'refunds',
  refundRequests: 'refund_requests',
  reconcileReports: 'reconcile_reports',
  metrics: 'metrics',
  attention: 'attention',
  throttles: 'throttles',
  subscriptions: 'subscriptions',
} as const;

/** The server-side page size limit of the cloud database. */
export const MAX_PAGE = 100;
