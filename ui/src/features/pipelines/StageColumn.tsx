import { useVirtualizer } from "@tanstack/react-virtual";
import { type PointerEvent as ReactPointerEvent, useRef } from "react";

import type { BoardDeal } from "@/api";
import { type StageColumn as Column, formatDeals, formatValue } from "@/core/board";

import { DealCard } from "./DealCard";
import styles from "./Pipelines.module.css";

/** A card's height plus the gap under it (cards are all one height). */
const CARD_SLOT = 100;

type Props = {
  column: Column;
  stages: string[];
  now: Date;
  /** The column a dragged card is over. */
  target: boolean;
  draggingId: number | null;
  onPress: (e: ReactPointerEvent, deal: BoardDeal) => void;
  onMove: (deal: BoardDeal, stage: string) => void;
};

/**
 * One stage: its count and value total, then its cards, virtualized as the
 * contacts table is (@tanstack/react-virtual), so a column of thousands of
 * deals draws only the cards in view.
 */
export function StageColumn({ column, stages, now, target, draggingId, onPress, onMove }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: column.deals.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => CARD_SLOT,
    overscan: 6,
  });
  const n = column.deals.length;
  return (
    <section
      className={`${styles.column} ${target ? styles.columnTarget : ""}`}
      data-stage={column.stage}
      data-testid="stage-column"
      aria-label={column.stage}
    >
      <header className={styles.columnHead}>
        <h2>{column.stage}</h2>
        <span className={styles.muted} data-testid="stage-total">
          {formatDeals(n)} · {formatValue(column.total)}
        </span>
      </header>
      <div ref={scroller} className={styles.columnBody}>
        {n === 0 && <p className={styles.emptyColumn}>No deals</p>}
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const d = column.deals[item.index];
            if (!d) return null;
            return (
              <div
                key={d.id}
                className={styles.slot}
                style={{ transform: `translateY(${item.start}px)`, height: CARD_SLOT }}
              >
                <DealCard
                  deal={d}
                  stages={stages}
                  now={now}
                  dragging={draggingId === d.id}
                  onPress={(e) => onPress(e, d)}
                  onMove={(stage) => onMove(d, stage)}
                />
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
