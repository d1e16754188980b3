import { useSearchParams } from "react-router";

import { type RangeDays, rangeFromParam, rangeParam } from "./figures";

/** The picked range, kept in the address so a link and a reload keep it. */
export function useRange(): [RangeDays, (days: RangeDays) => void] {
  const [params, setParams] = useSearchParams();
  const days = rangeFromParam(params.get("range"));
  const set = (d: RangeDays) => setParams({ range: rangeParam(d) }, { replace: true });
  return [days, set];
}
