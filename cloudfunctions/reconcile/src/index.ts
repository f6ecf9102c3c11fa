// `reconcile`: timer that recovers lost notifications, follows up refunds and checks the daily trade bill. Thin entry: all logic lives in server/ (see docs/API.md).
import { createReconcileMain } from '../../../server/composition';
import { initCloud } from '../../../server/adapters/runtime/wx-cloud';

export const main = createReconcileMain(initCloud());
