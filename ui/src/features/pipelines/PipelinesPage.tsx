import { Plus, Settings2, SquareKanban } from "lucide-react";
import { useMemo, useState } from "react";

import { type BoardDeal, type Pipeline } from "@/api";
import { Button, EmptyState, ErrorPanel, PageHeader, SearchBox, selectClass } from "@/components";
import { type BoardFilters, columns, formatDeals, formatValue } from "@/core/board";
import { useSettled } from "@/hooks";
import { usePipelines, useTags } from "@/features/contacts";

import { EditPipelineDialog } from "./EditPipelineDialog";
import { NewPipelineDialog } from "./NewPipelineDialog";
import styles from "./Pipelines.module.css";
import { StageColumn } from "./StageColumn";
import { useBoardDeals, useLiveBoard, useMoveDeal } from "./useBoard";
import { useCardDrag } from "./useCardDrag";

/**
 * The Pipelines screen: one pipeline as columns of its stages, its deals as
 * cards to drag (or move by menu) from stage to stage, with totals per
 * stage and filters by tag and text.
 */
export function PipelinesPage() {
  const pipelines = usePipelines();
  const tags = useTags();
  const [chosen, setChosen] = useState("");
  const [tag, setTag] = useState("");
  const [search, setSearch] = useState("");
  const [dialog, setDialog] = useState<"new" | "edit" | null>(null);
  const settledSearch = useSettled(search, 250);

  const pipeline: Pipeline | undefined =
    pipelines.data?.find((p) => p.name === chosen) ?? pipelines.data?.[0];
  const filters: BoardFilters = { pipeline: pipeline?.name ?? "", tag, search: settledSearch };
  const deals = useBoardDeals(filters);
  const move = useMoveDeal(filters);
  useLiveBoard();
  const onMove = (id: number, stage: string) => move.mutate({ id, stage });
  const { drag, pressCard } = useCardDrag(onMove);

  const stages = useMemo(() => pipeline?.stages ?? [], [pipeline]);
  const cols = useMemo(() => columns(stages, deals.data ?? []), [stages, deals.data]);
  const now = new Date();
  const total = cols.reduce((s, c) => s + c.total, 0);
  const count = deals.data?.length ?? 0;

  return (
    <div className={styles.page}>
      <PageHeader
        title="Pipelines"
        description="Your deals, stage by stage. Drag a card (or use its Move to menu) to move it: workflows waiting for that stage start at once."
        actions={
          <>
            {pipeline && (
              <Button onClick={() => setDialog("edit")} data-testid="edit-pipeline">
                <Settings2 size={16} aria-hidden /> Edit pipeline
              </Button>
            )}
            <Button variant="primary" onClick={() => setDialog("new")} data-testid="new-pipeline">
              <Plus size={16} aria-hidden /> New pipeline
            </Button>
          </>
        }
      />
      {pipelines.error && <ErrorPanel title="The pipelines could not be loaded" error={pipelines.error} />}
      {pipelines.data && pipelines.data.length === 0 && (
        <EmptyState icon={SquareKanban} title="No pipelines yet" testId="no-pipelines">
          Create one here, or activate a workflow that moves deals: its pipeline appears with its stages.
        </EmptyState>
      )}
      {pipeline && (
        <div className={styles.toolbar}>
          <select
            className={selectClass}
            aria-label="Pipeline"
            value={pipeline.name}
            onChange={(e) => setChosen(e.target.value)}
            data-testid="pipeline-select"
          >
            {pipelines.data?.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
          <SearchBox label="Search contact or title" value={search} onChange={setSearch} testId="board-search" />
          <select
            className={selectClass}
            aria-label="Tag"
            value={tag}
            onChange={(e) => setTag(e.target.value)}
            data-testid="board-tag"
          >
            <option value="">All tags</option>
            {tags.data?.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
          <span className={styles.count} data-testid="board-count" aria-live="polite">
            {formatDeals(count)} · {formatValue(total)}
          </span>
        </div>
      )}
      {deals.error && <ErrorPanel title="The deals could not be loaded" error={deals.error} onRetry={() => void deals.refetch()} />}
      {move.error && (
        <p className={styles.inlineError} role="alert" data-testid="move-error">
          {move.error.message}
        </p>
      )}
      {pipeline && (
        <div className={styles.board} data-testid="board">
          {cols.map((c) => (
            <StageColumn
              key={c.stage}
              column={c}
              stages={stages}
              now={now}
              target={drag?.over === c.stage && drag.from !== c.stage}
              draggingId={drag?.id ?? null}
              onPress={(e, d: BoardDeal) => pressCard(e, d.id, d.stage, d.title || "Deal")}
              onMove={(d, stage) => onMove(d.id, stage)}
            />
          ))}
        </div>
      )}
      {drag && (
        <div className={styles.ghost} style={{ left: drag.x + 8, top: drag.y + 8 }} aria-hidden>
          {drag.label}
        </div>
      )}
      {dialog === "new" && (
        <NewPipelineDialog
          onClose={() => setDialog(null)}
          onCreated={(p) => {
            setChosen(p.name);
            setDialog(null);
          }}
        />
      )}
      {dialog === "edit" && pipeline && (
        <EditPipelineDialog pipeline={pipeline} onClose={() => setDialog(null)} onRenamed={(p) => setChosen(p.name)} />
      )}
    </div>
  );
}
