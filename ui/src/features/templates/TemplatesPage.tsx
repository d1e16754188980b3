import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Eye, LayoutTemplate, Plug, Sparkles, Workflow, Zap } from "lucide-react";
import { Suspense, lazy, useState } from "react";
import { useNavigate } from "react-router";

import { Button, EmptyState, ErrorPanel, PageHeader } from "@/components";
import { type ApiError, type ImportOutcome, type TemplateInfo, queryKeys, templatesApi } from "@/api";

import { accountsNeeded, createdOnImport, describeUse, firstSentence, plural } from "./needs";
import styles from "./Templates.module.css";

// The preview draws a canvas: its code loads when a preview is first opened.
const TemplatePreview = lazy(() => import("./TemplatePreview"));

/** The Templates screen: ready-made workflows to preview and start from. */
export function TemplatesPage() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [previewing, setPreviewing] = useState<TemplateInfo | null>(null);
  const list = useQuery<TemplateInfo[], ApiError>({
    queryKey: queryKeys.templates,
    queryFn: () => templatesApi.list(),
    staleTime: Infinity,
  });
  const use = useMutation<ImportOutcome, ApiError, string>({
    mutationFn: (slug) => templatesApi.use(slug),
    onSuccess: (o) => {
      void client.invalidateQueries({ queryKey: queryKeys.workflows });
      void navigate(`/workflows/${o.id}`, { state: { notice: describeUse(o) } });
    },
  });

  return (
    <>
      <PageHeader
        title="Templates"
        description="Ready-made workflows with their emails written. Using one adds it to your workflows, paused, for you to adapt."
      />
      {use.error && (
        <div className={styles.error} role="alert" data-testid="template-use-error">
          {use.error.message}
        </div>
      )}
      {list.error ? (
        <ErrorPanel title="The templates could not be read" error={list.error} onRetry={() => void list.refetch()} />
      ) : list.isPending ? (
        <p className={styles.loading}>Loading templates…</p>
      ) : list.data.length === 0 ? (
        <EmptyState icon={LayoutTemplate} title="No templates" testId="templates-empty">
          This build of Cairn ships no templates.
        </EmptyState>
      ) : (
        <ul className={styles.grid} data-testid="template-cards">
          {list.data.map((t) => (
            <TemplateCard
              key={t.slug}
              template={t}
              busy={use.isPending && use.variables === t.slug}
              disabled={use.isPending}
              onPreview={() => setPreviewing(t)}
              onUse={() => use.mutate(t.slug)}
            />
          ))}
        </ul>
      )}
      {previewing && (
        <Suspense fallback={null}>
          <TemplatePreview
            template={previewing}
            busy={use.isPending}
            onUse={() => use.mutate(previewing.slug)}
            onClose={() => setPreviewing(null)}
          />
        </Suspense>
      )}
    </>
  );
}

type CardProps = {
  template: TemplateInfo;
  busy: boolean;
  disabled: boolean;
  onPreview: () => void;
  onUse: () => void;
};

function TemplateCard({ template: t, busy, disabled, onPreview, onUse }: CardProps) {
  const accounts = accountsNeeded(t);
  const created = createdOnImport(t);
  return (
    <li className={styles.card} data-testid="template-card" data-slug={t.slug}>
      <div className={styles.cardHead}>
        <h2 data-testid="template-name">{t.name}</h2>
        <span className={styles.count} data-testid="template-node-count">
          {plural(t.nodes, "node")}
        </span>
      </div>
      <p className={styles.description} title={t.description} data-testid="template-description">
        {firstSentence(t.description)}
      </p>
      <dl className={styles.facts}>
        <div>
          <dt>
            <Zap size={14} aria-hidden /> Starts on
          </dt>
          <dd>{t.triggers.join("; ")}</dd>
        </div>
        <div>
          <dt>
            <Plug size={14} aria-hidden /> Needs
          </dt>
          <dd data-testid="template-needs">{accounts.length ? accounts.join(", ") : "No accounts"}</dd>
        </div>
        <div>
          <dt>
            <Sparkles size={14} aria-hidden /> Comes with
          </dt>
          <dd>
            {[plural(t.emails, "email"), ...(t.goals.length ? [`goal: ${t.goals.join(", ")}`] : []), ...created].join(" · ")}
          </dd>
        </div>
      </dl>
      <div className={styles.cardActions}>
        <Button onClick={onPreview} data-testid="template-preview" aria-label={`Preview ${t.name}`}>
          <Eye size={16} aria-hidden /> Preview
        </Button>
        <Button variant="primary" onClick={onUse} disabled={disabled} data-testid="template-use">
          <Workflow size={16} aria-hidden /> {busy ? "Adding…" : "Use template"}
        </Button>
      </div>
    </li>
  );
}
