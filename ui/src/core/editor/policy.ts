// The error policy an action has when its file says nothing (the model's
// ErrorPolicy::default): five attempts, the first retry after a minute,
// then fail the run.

import type { ErrorPolicy } from "@/bindings";

export const DEFAULT_POLICY: ErrorPolicy = { max_attempts: 5, backoff: "1m", then: "fail" };
