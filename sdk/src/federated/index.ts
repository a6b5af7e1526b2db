export { fillTemplate, specTemplate, templateHole } from "./templates.js";
export {
  advanceFederatedRun,
  type AdvanceFederatedRunParameters,
  type AdvanceFederatedRunReturnType,
  type FederatedJobTerms,
  type FederatedRound,
  getFederatedRun,
  type GetFederatedRunParameters,
  type GetFederatedRunReturnType,
  RUN_PHASES,
  type RunPhase,
  startFederatedRun,
  type StartFederatedRunErrorType,
  type StartFederatedRunParameters,
  type StartFederatedRunReturnType,
} from "./actions.js";
