// Every node kind, grouped as Triggers / Flow / Waits / Actions. Drag one
// onto the canvas, or click it (or press Enter on it) to add it after the
// selected node, connected from that node's first free exit.

import { Search } from "lucide-react";
import { useState } from "react";

import { inputClass } from "@/components";
import { GROUPS, type Kind, kindsIn } from "@/core/editor/kinds";

import { KIND_ICONS } from "./icons";
import styles from "./Palette.module.css";

/** The drag payload type of a palette item. */
export const KIND_MIME = "application/x-cairn-kind";

export function Palette({ onAdd, after }: { onAdd: (kind: Kind) => void; after: string | null }) {
  const [query, setQuery] = useState("");
  const q = query.trim().toLowerCase();
  return (
    <aside className={styles.palette} aria-label="Add a node" data-testid="palette">
      <div className={styles.search}>
        <Search size={15} aria-hidden className={styles.searchIcon} />
        <input
          className={inputClass}
          type="search"
          placeholder="Find a node"
          aria-label="Find a node"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="palette-search"
        />
      </div>
      <p className={styles.hint}>
        {after ? (
          <>
            Click to add after <strong>{after}</strong>, or drag onto the canvas.
          </>
        ) : (
          "Drag onto the canvas, or click to add."
        )}
      </p>
      <div className={styles.groups}>
        {GROUPS.map((g) => {
          const items = kindsIn(g.id).filter((i) => !q || i.title.toLowerCase().includes(q) || i.blurb.toLowerCase().includes(q));
          if (items.length === 0) return null;
          return (
            <section key={g.id} className={styles.group}>
              <h3>{g.title}</h3>
              {items.map((i) => {
                const Icon = KIND_ICONS[i.icon];
                return (
                  <button
                    key={i.kind}
                    type="button"
                    className={`${styles.item} ${styles[i.family]}`}
                    draggable
                    onDragStart={(e) => {
                      e.dataTransfer.setData(KIND_MIME, i.kind);
                      e.dataTransfer.effectAllowed = "move";
                    }}
                    onClick={() => onAdd(i.kind)}
                    title={`${i.title}: ${i.blurb}`}
                    data-testid={`palette-${i.kind}`}
                  >
                    <span className={styles.icon} aria-hidden>
                      <Icon size={15} />
                    </span>
                    <span className={styles.text}>
                      <span className={styles.title}>{i.title}</span>
                      <span className={styles.blurb}>{i.blurb}</span>
                    </span>
                  </button>
                );
              })}
            </section>
          );
        })}
      </div>
    </aside>
  );
}
