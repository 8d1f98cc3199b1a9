import type { Shortcut } from "@/lib/keys";

import { Dialog } from "@/components/dialog";

export function ShortcutOverlay(props: { open: boolean; onClose: () => void; shortcuts: Shortcut[]; hotkeys: { key: string; name: string; color: string }[] }) {
  const groups = [...new Set(props.shortcuts.map((s) => s.group))];
  return (
    <Dialog open={props.open} title="Keyboard shortcuts" onClose={props.onClose} className="wide" testId="shortcut-overlay">
      <div className="shortcut-grid">
        {groups.map((g) => (
          <section key={g}>
            <h3>{g}</h3>
            <dl>
              {props.shortcuts
                .filter((s) => s.group === g)
                .map((s) => (
                  <div key={s.label} className="shortcut">
                    <dt>
                      {s.keys.map((k) => (
                        <kbd key={k}>{k}</kbd>
                      ))}
                    </dt>
                    <dd>{s.label}</dd>
                  </div>
                ))}
            </dl>
          </section>
        ))}
        {props.hotkeys.length > 0 && (
          <section>
            <h3>Error types</h3>
            <dl>
              {props.hotkeys.map((h) => (
                <div key={h.key + h.name} className="shortcut">
                  <dt>
                    <kbd>{h.key}</kbd>
                  </dt>
                  <dd>
                    <span className="swatch" style={{ background: h.color }} /> {h.name}
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        )}
      </div>
    </Dialog>
  );
}
