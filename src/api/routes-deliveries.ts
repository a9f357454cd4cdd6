/** Delivery routes: delivery status, dead letters, inbound delivery mode, pending, flush. */
import type { Router } from './router.js'

export function registerDeliveryRoutes(_r: Router): void {
  // filled in with the delivery engine (issue 5)
}
