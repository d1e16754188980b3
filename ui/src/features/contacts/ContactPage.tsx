import { useMutation } from "@tanstack/react-query";
import { ArrowLeft, Download, Pencil, Trash2 } from "lucide-react";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import { type ApiError, type Deal, contactsApi, pickContactExportPath } from "@/api";
import { Badge, Button, ErrorPanel, Field, PageHeader, inputClass, selectClass } from "@/components";
import { fieldText } from "@/core/contactForm";
import { formatRelative } from "@/core/time";

import { Consent } from "./Consent";
import { ContactDialog } from "./ContactDialog";
import styles from "./Contacts.module.css";
import { EraseDialog } from "./EraseDialog";
import { statusTone } from "./status";
import { Timeline } from "./Timeline";
import {
  useContact,
  useCourses,
  useDeals,
  useEnrollments,
  usePipelines,
  useRefreshContact,
  useLiveContact,
  useTimeline,
} from "./useContact";

function DealRow({ deal, stages, onMoved }: { deal: Deal; stages: string[]; onMoved: () => void }) {
  const move = useMutation<null, ApiError, string>({
    mutationFn: (stage) => contactsApi.setDealStage(deal.id, stage),
    onSuccess: onMoved,
  });
  return (
    <li className={styles.deal} data-testid="deal">
      <div>
        <div className={styles.dealTitle}>{deal.title || "Deal"}</div>
        <div className={styles.muted}>
          {deal.pipeline}
          {deal.value !== null && <> · {deal.value}</>} · moved {formatRelative(deal.updated_at, new Date())}
        </div>
      </div>
      <select
        className={selectClass}
        aria-label={`Stage of ${deal.title || "deal"}`}
        value={deal.stage}
        disabled={move.isPending}
        onChange={(e) => move.mutate(e.target.value)}
        data-testid="deal-stage"
      >
        {(stages.includes(deal.stage) ? stages : [deal.stage, ...stages]).map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      {move.error && <p className={styles.inlineError}>{move.error.message}</p>}
    </li>
  );
}

function Deals({ contactId, onChanged }: { contactId: number; onChanged: () => void }) {
  const deals = useDeals(contactId);
  const pipelines = usePipelines();
  const [adding, setAdding] = useState(false);
  const [draft, setDraft] = useState({ pipeline: "", stage: "", title: "" });
  const create = useMutation<number, ApiError>({
    mutationFn: () => contactsApi.createDeal(contactId, draft.pipeline, draft.stage, draft.title.trim(), null),
    onSuccess: () => {
      setAdding(false);
      setDraft({ pipeline: "", stage: "", title: "" });
      onChanged();
    },
  });
  const stagesOf = (p: string) => pipelines.data?.find((x) => x.name === p)?.stages ?? [];
  return (
    <section className={styles.card} data-testid="deals">
      <div className={styles.sectionHead}>
        <h2>Deals</h2>
        {pipelines.data && pipelines.data.length > 0 && !adding && (
          <Button onClick={() => setAdding(true)}>Add deal</Button>
        )}
      </div>
      {deals.error && <ErrorPanel title="The deals could not be loaded" error={deals.error} />}
      {deals.data?.length === 0 && !adding && (
        <p className={styles.muted}>
          {pipelines.data?.length
            ? "No deals. Add one, or let a workflow's \"move deal\" action open it."
            : "No pipelines yet: a workflow that moves deals declares its pipeline and stages."}
        </p>
      )}
      <ul className={styles.deals}>
        {deals.data?.map((d) => <DealRow key={d.id} deal={d} stages={stagesOf(d.pipeline)} onMoved={onChanged} />)}
      </ul>
      {adding && (
        <div className={styles.inlineForm}>
          <Field label="Pipeline" htmlFor="deal-pipeline">
            <select
              id="deal-pipeline"
              className={selectClass}
              value={draft.pipeline}
              onChange={(e) => setDraft({ ...draft, pipeline: e.target.value, stage: stagesOf(e.target.value)[0] ?? "" })}
            >
              <option value="">Choose…</option>
              {pipelines.data?.map((p) => (
                <option key={p.id} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Stage" htmlFor="deal-stage-new">
            <select
              id="deal-stage-new"
              className={selectClass}
              value={draft.stage}
              onChange={(e) => setDraft({ ...draft, stage: e.target.value })}
            >
              {stagesOf(draft.pipeline).map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Title" htmlFor="deal-title">
            <input
              id="deal-title"
              className={inputClass}
              value={draft.title}
              onChange={(e) => setDraft({ ...draft, title: e.target.value })}
            />
          </Field>
          <div className={styles.inlineActions}>
            <Button onClick={() => setAdding(false)}>Cancel</Button>
            <Button
              variant="primary"
              disabled={!draft.pipeline || !draft.stage || create.isPending}
              onClick={() => create.mutate()}
            >
              Add
            </Button>
          </div>
          {create.error && <p className={styles.inlineError}>{create.error.message}</p>}
        </div>
      )}
    </section>
  );
}

function Courses({ contactId, onChanged }: { contactId: number; onChanged: () => void }) {
  const enrollments = useEnrollments(contactId);
  const courses = useCourses();
  const [course, setCourse] = useState("");
  const access = useMutation<boolean, ApiError, { course: string; enrolled: boolean }>({
    mutationFn: (a) => contactsApi.setCourseAccess(contactId, a.course, a.enrolled),
    onSuccess: () => {
      setCourse("");
      onChanged();
    },
  });
  const active = enrollments.data?.filter((e) => e.revoked_at === null) ?? [];
  const grantable = courses.data?.filter((c) => !active.some((e) => e.course === c)) ?? [];
  return (
    <section className={styles.card} data-testid="courses">
      <div className={styles.sectionHead}>
        <h2>Course access</h2>
      </div>
      {enrollments.error && <ErrorPanel title="Course access could not be loaded" error={enrollments.error} />}
      {enrollments.data?.length === 0 && (
        <p className={styles.muted}>
          {courses.data?.length ? "No course access yet." : "No courses yet: a workflow that enrolls contacts declares its courses."}
        </p>
      )}
      <ul className={styles.deals}>
        {enrollments.data?.map((e) => (
          <li key={e.course} className={styles.deal}>
            <div>
              <div className={styles.dealTitle}>{e.course}</div>
              <div className={styles.muted}>
                {e.revoked_at ? `revoked ${formatRelative(e.revoked_at, new Date())}` : `${e.progress}% done`} · since{" "}
                {formatRelative(e.enrolled_at, new Date())}
              </div>
            </div>
            {e.revoked_at === null ? (
              <Button onClick={() => access.mutate({ course: e.course, enrolled: false })}>Revoke</Button>
            ) : (
              <Button onClick={() => access.mutate({ course: e.course, enrolled: true })}>Grant again</Button>
            )}
          </li>
        ))}
      </ul>
      {grantable.length > 0 && (
        <div className={styles.inlineForm}>
          <select className={selectClass} aria-label="Course" value={course} onChange={(e) => setCourse(e.target.value)}>
            <option value="">Grant access to…</option>
            {grantable.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <Button disabled={!course || access.isPending} onClick={() => access.mutate({ course, enrolled: true })}>
            Grant
          </Button>
        </div>
      )}
      {access.error && <p className={styles.inlineError}>{access.error.message}</p>}
    </section>
  );
}

/** One contact: its details, deals, course access and timeline. */
export function ContactPage() {
  const id = Number(useParams().contactId);
  const contact = useContact(id);
  const { events, runs } = useTimeline(id);
  const refresh = useRefreshContact(id);
  useLiveContact(id);
  const [editing, setEditing] = useState(false);
  const [erasing, setErasing] = useState(false);
  const navigate = useNavigate();
  const exported = useMutation<string | null, ApiError, string>({
    mutationFn: async (email) => {
      const path = await pickContactExportPath(email);
      if (path) await contactsApi.exportTo(id, path);
      return path;
    },
  });
  const now = new Date();

  const back = (
    <Link to="/contacts" className={styles.back}>
      <ArrowLeft size={16} aria-hidden /> Contacts
    </Link>
  );
  if (contact.error)
    return (
      <>
        {back}
        <ErrorPanel title="This contact could not be loaded" error={contact.error} onRetry={() => void contact.refetch()} />
      </>
    );
  if (!contact.data)
    return (
      <>
        {back}
        <p role="status" className={styles.muted}>
          Loading the contact…
        </p>
      </>
    );
  const c = contact.data;
  const custom = Object.entries(c.fields);
  return (
    <>
      {back}
      <PageHeader
        title={c.name ?? c.email}
        description={c.name ? c.email : undefined}
        actions={
          <>
            <Button onClick={() => exported.mutate(c.email)} disabled={exported.isPending} data-testid="export-contact">
              <Download size={16} aria-hidden /> Export
            </Button>
            <Button onClick={() => setErasing(true)} data-testid="erase-contact">
              <Trash2 size={16} aria-hidden /> Delete
            </Button>
            <Button onClick={() => setEditing(true)} data-testid="edit-contact">
              <Pencil size={16} aria-hidden /> Edit
            </Button>
          </>
        }
      />
      {exported.data && (
        <p role="status" className={styles.muted} data-testid="export-done">
          Everything held about {c.email} was written to {exported.data}.
        </p>
      )}
      {exported.error && <p className={styles.inlineError}>{exported.error.message}</p>}
      <div className={styles.detailGrid}>
        <div className={styles.detailSide}>
          <section className={styles.card} data-testid="contact-details">
            <dl className={styles.facts}>
              <dt>Status</dt>
              <dd>
                <Badge tone={statusTone[c.status]} label={c.status} />
                {c.is_test && <Badge tone="accent" label="test contact" />}
              </dd>
              <dt>Tags</dt>
              <dd className={styles.tagList} data-testid="contact-tags">
                {c.tags.length ? c.tags.map((t) => <span key={t} className={styles.tag}>{t}</span>) : <span className={styles.muted}>none</span>}
              </dd>
              <dt>Time zone</dt>
              <dd>{c.timezone ?? <span className={styles.muted}>the workflow's</span>}</dd>
              {custom.map(([k, v]) => (
                <div key={k} className={styles.factPair}>
                  <dt>{k}</dt>
                  <dd>{fieldText(v) || <span className={styles.muted}>—</span>}</dd>
                </div>
              ))}
              <dt>Added</dt>
              <dd title={c.created_at}>{formatRelative(c.created_at, now)}</dd>
            </dl>
          </section>
          <Consent contactId={id} />
          <Deals contactId={id} onChanged={() => void refresh()} />
          <Courses contactId={id} onChanged={() => void refresh()} />
        </div>
        <section className={`${styles.card} ${styles.detailMain}`}>
          <Timeline events={events.data} runs={runs.data} error={events.error ?? runs.error} now={now} />
        </section>
      </div>
      {editing && <ContactDialog contact={c} onClose={() => setEditing(false)} onSaved={() => void refresh()} />}
      {erasing && (
        <EraseDialog contact={c} onClose={() => setErasing(false)} onErased={() => void navigate("/contacts")} />
      )}
    </>
  );
}
