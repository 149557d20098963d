import { parentPort, workerData } from "node:worker_threads";
import { runJob, type RunSettings, type SeedJob } from "./seeds.js";

// Runs the seeds it is given and posts each result back; the parent prints progress.
const { jobs, settings } = workerData as { jobs: SeedJob[]; settings: RunSettings };
for (const job of jobs) parentPort!.postMessage(runJob(job, settings));
