/** pbxsim as a library: vendors with their schemas and builders, scenarios, the runner and the receiver. */
export * from "./core/errors.js";
export type * from "./core/model.js";
export type * from "./core/vendor.js";
export { isSuccess, describeSuccess } from "./core/vendor.js";
export { Rng } from "./core/random.js";
export { parseDuration } from "./core/duration.js";
export { VENDORS, findVendor, getVendor } from "./vendors/registry.js";
export { enreach } from "./vendors/enreach/index.js";
export * as enreachSchemas from "./vendors/enreach/schemas.js";
export {
  loadScenarioFile,
  parseScenarioText,
  resolveScenarios,
  builtinScenarioFiles,
  type Scenario,
} from "./scenario/load.js";
export { simulateCall } from "./scenario/simulate.js";
export { planRun, dryRunLine, type Plan, type PlannedRequest } from "./delivery/plan.js";
export { DeliveryEngine, type DeliveryResult, type Attempt } from "./delivery/engine.js";
export {
  runScenarios,
  deliverToApp,
  deliverPlan,
  SEEDED_START,
  type RunOptions,
  type RunResult,
} from "./delivery/run.js";
export { summarize, type RunSummary } from "./delivery/summary.js";
export { createReceiver, type Receiver, type ReceivedRecord, type ReceiverOptions } from "./receiver/app.js";
export { serve, type RunningReceiver, type ServeOptions } from "./receiver/serve.js";
export { runLoad, type LoadOptions, type Snapshot } from "./load/run.js";
export type { LoadReport } from "./load/report.js";
export { constantRate, parseRate, parseRamp } from "./load/arrivals.js";
export { runChecks, type CheckResult } from "./check/battery.js";
