export { createWasmExecutor, moduleFromDirectory, STDIO_CAPTURE_BYTES, WASM_FIXED_TIME_NS, WasmExecutor, type WasmExecutorOptions, type WasmRunTimings } from "./executor.js";
export { capModuleMemory, verifyModuleCid } from "./module.js";
