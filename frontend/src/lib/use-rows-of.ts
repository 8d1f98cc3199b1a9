import { useEffect, useState } from "react";

/**
 * Editable rows copied from ``source`` (a draft version, or the published one) whenever the
 * source changes. ``current`` is false between a new source arriving and its rows being
 * copied: editors stay disabled then, so an edit made in that moment is not overwritten.
 */
export function useRowsOf<S, R>(source: S | null, rowsOf: (source: S | null) => R[]) {
  const [state, setState] = useState<{ source: S | null | undefined; rows: R[] }>({ source: undefined, rows: [] });
  useEffect(() => {
    setState({ source, rows: rowsOf(source) });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source]);
  const setRows = (rows: R[]) => setState((s) => ({ ...s, rows }));
  return { rows: state.rows, setRows, current: state.source === source };
}
