// The first thing an empty Workflows screen offers: the built-in templates,
// each a working workflow with its emails written, one click from the
// editor. (An empty canvas and a file come after them.)

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { LayoutTemplate } from "lucide-react";
import { useNavigate } from "react-router";

import { Button, ErrorPanel } from "@/components";
import { type ApiError, type ImportOutcome, type TemplateInfo, queryKeys, templatesApi } from "@/api";

import { describeImport } from "./describe";
import styles from "./WorkflowsPage.module.css";

/** The first sentence of a template's description, for a short card. */
function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/s.exec(text.trim());
  return (m?.[1] ?? text).trim();
}

/** The built-in templates as "use this" cards. */
export function TemplateStarters() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const list = useQuery<TemplateInfo[], ApiError>({
    // The Templates screen's query: one read serves both.
    queryKey: queryKeys.templates,
    queryFn: () => templatesApi.list(),
    staleTime: Infinity,
  });
  const use = useMutation<ImportOutcome, ApiError, string>({
    mutationFn: (slug) => templatesApi.use(slug),
    onSuccess: (o) => {
      void client.invalidateQueries({ queryKey: queryKeys.workflows });
      void navigate(`/workflows/${o.id}`, { state: { notice: describeImport(o) } });
    },
  });
  if (list.error) {
    return <ErrorPanel title="The templates could not be read" error={list.error} onRetry={() => void list.refetch()} />;
  }
  if (!list.data) {
    return (
      <p className={styles.loading} role="status">
        Loading templates…
      </p>
    );
  }
  if (list.data.length === 0) return null;
  return (
    <div className={styles.starters} data-testid="empty-templates">
      <h3>
        <LayoutTemplate size={16} aria-hidden /> Start from a template
      </h3>
      <ul>
        {list.data.map((t) => (
          <li key={t.slug} data-testid="starter">
            <div>
              <strong>{t.name}</strong>
              <span>{firstSentence(t.description)}</span>
            </div>
            <Button
              variant="primary"
              onClick={() => use.mutate(t.slug)}
              disabled={use.isPending}
              aria-label={`Use the template ${t.name}`}
              data-testid={`starter-use-${t.slug}`}
            >
              {use.isPending && use.variables === t.slug ? "Adding…" : "Use"}
            </Button>
          </li>
        ))}
      </ul>
      {use.error && (
        <p className={styles.startersError} role="alert" data-testid="starter-error">
          {use.error.message}
        </p>
      )}
    </div>
  );
}
