// What the `staff` function answers (docs/adr/0009): orders as staff see them. Type-only.
import type { ShippingUploadView } from './fulfilment';
import type { OrderView } from './order';

/** An order as staff see it: the shopper's view plus who bought it and where WeChat's shipping record is. */
export interface StaffOrderView {
  order: OrderView;
  /** The payer (staff need it to tell shoppers apart; never shown to other shoppers). */
  openid: string;
  /** WeChat's transaction id once paid. */
  transactionId: string | null;
  shippingUpload: ShippingUploadView;
}
