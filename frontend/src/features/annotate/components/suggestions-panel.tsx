import type { ErrorType, Item } from "@/types";

import type { Suggestion } from "../suggestions";

function describe(s: Suggestion, item: Item, types: Map<string, ErrorType>): string {
  const r = item.responses.find((x) => x.index === s.unit.response);
  switch (s.kind) {
    case "span": {
      const quote = r ? Array.from(r.text).slice(s.unit.start, s.unit.end).join("") : "";
      return `${types.get(s.unit.error_type)?.name ?? s.unit.error_type}: “${quote.length > 60 ? `${quote.slice(0, 60)}…` : quote}”`;
    }
    case "step":
      return `step ${s.unit.step_index + 1}: ${s.unit.rating > 0 ? "+1" : s.unit.rating}`;
    case "region":
      return `${s.unit.shape} ${types.get(s.unit.error_type)?.name ?? s.unit.error_type}`;
    case "missing_info":
      return `${types.get(s.unit.error_type)?.name ?? s.unit.error_type}${s.unit.comment ? `: ${s.unit.comment}` : ""}`;
  }
}

export function SuggestionsPanel(props: {
  suggestions: Suggestion[];
  item: Item;
  errorTypes: ErrorType[];
  onAccept: (s: Suggestion) => void;
  onEdit: (s: Suggestion) => void;
  onReject: (s: Suggestion) => void;
  onAcceptAll: () => void;
}) {
  const types = new Map(props.errorTypes.map((t) => [t.key, t]));
  if (!props.suggestions.length) return <p className="muted" data-testid="suggestions">No pending machine suggestions.</p>;
  return (
    <div className="suggestions" data-testid="suggestions">
      <button type="button" onClick={props.onAcceptAll}>
        Accept all ({props.suggestions.length}) <kbd>alt+a</kbd>
      </button>
      <ul>
        {props.suggestions.map((s) => (
          <li key={s.id} className="suggestion">
            <span className="judge">{s.judge}</span> <span className="plain">{describe(s, props.item, types)}</span>
            <span className="actions">
              <button type="button" onClick={() => props.onAccept(s)}>
                Accept
              </button>
              <button type="button" onClick={() => props.onEdit(s)}>
                Edit
              </button>
              <button type="button" onClick={() => props.onReject(s)}>
                Reject
              </button>
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
