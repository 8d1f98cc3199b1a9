import { useEffect } from "react";

/** Call ``tick`` every ``ms`` while ``active`` (a run is queued or running). */
export function usePoll(active: boolean, tick: () => void, ms: number): void {
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(tick, ms);
    return () => window.clearInterval(timer);
  }, [active, tick, ms]);
}
