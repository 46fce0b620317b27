// The timing of the original watchgod's dialect (SPEC 3.2), shared by the dialect and by `god validate`, which
// shows a legacy job's real check cadence.

/** Every request's bound; a request unanswered this long makes the stream unusable (the check timeout). */
export const LEGACY_TIMEOUT_MS = 2000;
/** The next check when an answer gives no MS, as in the original. */
export const LEGACY_NEXT_MS = 1000;
/** The first check of an instance comes this long after its spawn. */
export const LEGACY_FIRST_CHECK_MS = 200;
/** An empty answer to `check` means "no check": the instance is ready and not asked again (about a day). */
export const LEGACY_NO_CHECK_NEXT_MS = 86_400_000;
