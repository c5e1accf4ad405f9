import type { Config } from '../../config.js';
import { AppError } from '../../lib/errors.js';

/** Whether accounts on `plan` may have OAuth apps and use their tokens (a plan setting, PLANS_JSON `oauth`). */
export function planAllowsOAuth(config: Config, plan: string): boolean {
  return (config.plans[plan] ?? config.plans[config.defaultPlan])?.oauth === true;
}

export function assertPlanAllowsOAuth(config: Config, plan: string): void {
  if (planAllowsOAuth(config, plan)) return;
  const allowed = Object.entries(config.plans)
    .filter(([, p]) => p.oauth === true)
    .map(([name]) => name);
  throw new AppError(
    'forbidden',
    `OAuth apps are not available on the ${plan} plan${allowed.length ? `; they need the ${allowed.join(' or ')} plan` : ''}`,
    { plan, plans_allowing_oauth: allowed },
  );
}
