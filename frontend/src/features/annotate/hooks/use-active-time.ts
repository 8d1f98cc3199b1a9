import { useCallback, useEffect, useRef } from "react";

/** Milliseconds this page was visible since `key` changed (time per item, DESIGN §3). */
export function useActiveTime(key: unknown): () => number {
  const acc = useRef(0);
  const since = useRef<number | null>(null);
  useEffect(() => {
    acc.current = 0;
    since.current = document.visibilityState === "visible" ? performance.now() : null;
    const onVis = () => {
      if (document.visibilityState === "visible") since.current = performance.now();
      else if (since.current !== null) {
        acc.current += performance.now() - since.current;
        since.current = null;
      }
    };
    document.addEventListener("visibilitychange", onVis);
    return () => document.removeEventListener("visibilitychange", onVis);
  }, [key]);
  return useCallback(() => acc.current + (since.current !== null ? performance.now() - since.current : 0), []);
}
