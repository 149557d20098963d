export { checkHistory, DEFAULT_MAX_STEPS } from "./check.js";
export { HistoryRecorder, type HistoryRecorderOptions, type OperationHandle } from "./recorder.js";
export { renderFailure, renderHistory, type RenderFailureOptions, type RenderHistoryOptions } from "./render.js";
export { describeValue, formatOperation, formatTime } from "./format.js";
export { partitionByKey } from "./prepare.js";
export {
  InvalidHistoryError,
  type BlockedOperation,
  type CheckOptions,
  type CheckResult,
  type CheckStats,
  type ClientId,
  type Clock,
  type FailureExplanation,
  type KvOperation,
  type KvValue,
  type LinearizedStep,
  type OperationRef,
  type OpKind,
  type OpStatus,
  type SubHistoryEntry,
  type Treatment,
} from "./types.js";
