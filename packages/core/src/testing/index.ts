export {
  defineStorageConformanceSuite,
  StorageConformanceError,
  storageConformanceCases,
  type StorageConformanceCase,
  type TestFunctions,
} from "./storage-conformance.js";
