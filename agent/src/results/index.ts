export { ResultStoreFullError } from "./errors.js";
export {
  createResultStore,
  type PutOptions,
  type PutReturnType,
  type ResultStore,
  type ResultStoreOptions,
  type StoredResult,
} from "./store.js";
