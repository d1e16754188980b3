import type { PointerEvent as ReactPointerEvent } from "react";
import { useNavigate } from "react-router";

import type { BoardDeal } from "@/api";
import { selectClass } from "@/components";
import { daysInStage, formatDays, formatValue } from "@/core/board";

import styles from "./Pipelines.module.css";

type Props = {
  deal: BoardDeal;
  stages: string[];
  now: Date;
  dragging: boolean;
  onPress: (e: ReactPointerEvent) => void;
  onMove: (stage: string) => void;
};

/**
 * One deal on the board: title, contact (opens the contact), value and days
 * in stage. It is dragged by pressing anywhere but its controls; its
 * "Move to" menu does the same by keyboard.
 */
export function DealCard({ deal, stages, now, dragging, onPress, onMove }: Props) {
  const navigate = useNavigate();
  const who = deal.contact_name?.trim() || deal.contact_email;
  const days = daysInStage(deal.stage_since, now);
  return (
    <article
      className={`${styles.card} ${dragging ? styles.cardDragging : ""}`}
      onPointerDown={onPress}
      data-testid="deal-card"
      data-deal-id={deal.id}
      aria-label={`${deal.title || "Deal"}, ${who}`}
    >
      <div className={styles.cardTitle}>{deal.title || "Deal"}</div>
      <button
        type="button"
        className={styles.contactLink}
        onClick={() => void navigate(`/contacts/${deal.contact_id}`)}
        title={deal.contact_email}
        data-testid="deal-contact"
      >
        {who}
      </button>
      <div className={styles.cardFoot}>
        <span className={styles.value}>{formatValue(deal.value)}</span>
        <span className={styles.muted} title={`In ${deal.stage} since ${deal.stage_since}`}>
          {formatDays(days)}
        </span>
        <select
          className={`${selectClass} ${styles.moveSelect}`}
          aria-label={`Move ${deal.title || "deal"} to stage`}
          value=""
          onChange={(e) => e.target.value && onMove(e.target.value)}
          data-testid="deal-move"
        >
          <option value="">Move to…</option>
          {stages
            .filter((s) => s.toLowerCase() !== deal.stage.toLowerCase())
            .map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
        </select>
      </div>
    </article>
  );
}
