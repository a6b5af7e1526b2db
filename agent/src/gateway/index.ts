export { acceptsCar, CAR_MEDIA_TYPE } from "./ipfs.js";
export {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type HealthReport,
  REQUESTS_METRIC,
} from "./server.js";
