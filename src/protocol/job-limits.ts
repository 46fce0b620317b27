// The limits of a job's name and of a loader's hello, shared by the schema definitions and the checks of
// jobspec.ts (kept apart so that neither imports the other).

export const JOB_NAME_PATTERN = "^[A-Za-z0-9_.-]{1,64}$";
export const MAX_JOBS_PER_LOADER = 1000;
