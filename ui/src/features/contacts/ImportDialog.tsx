import { CircleCheck, FileUp, TriangleAlert } from "lucide-react";
import { useState } from "react";

import { type ApiError, type ColumnMapping, type CsvImportReport, type CsvPreview, contactsApi, pickCsvFile } from "@/api";
import { Button, Dialog, ErrorPanel, selectClass } from "@/components";

import styles from "./Contacts.module.css";
import { mappingOf, mappingComplete } from "./privacyText";
import { useFields, useRefreshContacts } from "./useContacts";

type State =
  | { step: "pick" }
  | { step: "working"; path: string }
  | { step: "map"; path: string; preview: CsvPreview; choices: Record<string, string> }
  | { step: "report"; path: string; report: CsvImportReport }
  | { step: "failed"; path: string | null; error: ApiError };

const fileName = (path: string) => path.split(/[\\/]/).pop() ?? path;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * The CSV import: the native dialog picks the file, the store checks every
 * row first. With invalid rows nothing is written until the user chooses:
 * import the valid rows, or import nothing.
 */
export function ImportDialog({ onClose }: { onClose: () => void }) {
  const [state, setState] = useState<State>({ step: "pick" });
  const [mapping, setMapping] = useState<ColumnMapping | undefined>(undefined);
  const refresh = useRefreshContacts();

  const run = async (path: string, skipInvalid: boolean, chosen = mapping) => {
    setState({ step: "working", path });
    try {
      const report = await contactsApi.importCsv(path, skipInvalid, chosen);
      setState({ step: "report", path, report });
      if (report.imported) void refresh();
    } catch (e) {
      setState({ step: "failed", path, error: e as ApiError });
    }
  };

  const pick = async () => {
    try {
      const path = await pickCsvFile("Import contacts from a CSV file");
      if (!path) return;
      // Columns Cairn does not know (a file from another tool) are mapped
      // first; nothing is imported until each has a meaning.
      const preview = await contactsApi.previewCsv(path);
      if (preview.columns.some((c) => c.known === "unknown")) {
        setState({ step: "map", path, preview, choices: {} });
      } else {
        setMapping(undefined);
        await run(path, false, undefined);
      }
    } catch (e) {
      setState({ step: "failed", path: null, error: e as ApiError });
    }
  };

  const report = state.step === "report" ? state.report : null;
  const blocked = report && !report.imported && report.invalid.length > 0;
  const valid = report ? report.rows - report.invalid.length : 0;
  const path = state.step === "pick" ? "" : (state.path ?? "");

  const footer =
    state.step === "map" ? (
      <>
        <Button onClick={onClose}>Cancel</Button>
        <Button
          variant="primary"
          disabled={!mappingComplete(state.preview, state.choices)}
          onClick={() => {
            const m = mappingOf(state.preview, state.choices);
            setMapping(m);
            void run(state.path, false, m);
          }}
          data-testid="import-mapped"
        >
          Import with this mapping
        </Button>
      </>
    ) : state.step === "report" && blocked ? (
      <>
        <Button onClick={onClose} data-testid="import-nothing">
          Import nothing
        </Button>
        <Button
          variant="primary"
          disabled={valid === 0}
          onClick={() => void run(state.path, true)}
          data-testid="import-valid"
        >
          Import the {plural(valid, "valid row")}
        </Button>
      </>
    ) : state.step === "report" ? (
      <Button variant="primary" onClick={onClose} data-testid="import-done">
        Done
      </Button>
    ) : (
      <>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="primary" onClick={() => void pick()} disabled={state.step === "working"} data-testid="choose-file">
          <FileUp size={16} aria-hidden /> Choose a CSV file…
        </Button>
      </>
    );

  return (
    <Dialog
      title="Import contacts"
      description="Rows whose email is already a contact update it; empty cells leave values as they are."
      onClose={onClose}
      footer={footer}
      wide={Boolean(blocked) || state.step === "map"}
      testId="import-dialog"
    >
      {state.step === "pick" && (
        <div className={styles.importHelp}>
          <p>
            The first line names the columns: <code>email</code> (required), <code>name</code> (or{" "}
            <code>first_name</code> and <code>last_name</code>), <code>status</code>, <code>timezone</code>,{" "}
            <code>tags</code> (separated by <code>;</code>) and your custom fields.
          </p>
          <p>
            A column written <code>birthday:date</code> creates the field (types: text, number, date, boolean).
            Every row is checked before anything is written.
          </p>
        </div>
      )}
      {state.step === "map" && (
        <div data-testid="import-mapping">
          <p>
            {fileName(state.path)} has columns Cairn does not know. Say what each one holds; nothing is imported until
            every column has a meaning.
          </p>
          <MappingTable
            preview={state.preview}
            choices={state.choices}
            onChoose={(header, choice) => setState({ ...state, choices: { ...state.choices, [header]: choice } })}
          />
        </div>
      )}
      {state.step === "working" && (
        <p role="status" className={styles.muted}>
          Reading {fileName(state.path)}…
        </p>
      )}
      {state.step === "failed" && (
        <ErrorPanel
          title={state.path ? `${fileName(state.path)} could not be imported` : "The file could not be opened"}
          error={state.error}
          onRetry={() => void pick()}
        />
      )}
      {report && report.imported && (
        <div className={styles.importResult} data-testid="import-result">
          <CircleCheck size={22} className={styles.ok} aria-hidden />
          <div>
            <p>
              <strong>{plural(report.created, "contact")} added</strong>, {report.updated} updated, {report.unchanged}{" "}
              unchanged.
            </p>
            {report.skipped > 0 && <p className={styles.muted}>{plural(report.skipped, "invalid row")} left out.</p>}
            {report.fields_created.length > 0 && (
              <p className={styles.muted}>New fields: {report.fields_created.map((f) => `${f.name} (${f.type})`).join(", ")}</p>
            )}
          </div>
        </div>
      )}
      {blocked && (
        <>
          <div className={styles.importWarning} data-testid="import-blocked">
            <TriangleAlert size={20} aria-hidden />
            <p>
              <strong>{plural(report.invalid.length, "row")}</strong> of {report.rows} in {fileName(path)} cannot
              be imported. Nothing has been written yet: import the {plural(valid, "valid row")}, or import nothing and
              fix the file.
            </p>
          </div>
          <div className={styles.invalidList}>
            <table className={styles.invalidTable} data-testid="invalid-rows">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Email</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {report.invalid.map((r) => (
                  <tr key={r.line} data-testid="invalid-row">
                    <td className={styles.lineNo} data-testid="invalid-line">
                      {r.line}
                    </td>
                    <td>{r.email ?? <span className={styles.muted}>—</span>}</td>
                    <td data-testid="invalid-reason">{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Dialog>
  );
}

/** The mapping step's table: the first rows, a choice above each unknown column. */
function MappingTable({
  preview,
  choices,
  onChoose,
}: {
  preview: CsvPreview;
  choices: Record<string, string>;
  onChoose: (header: string, choice: string) => void;
}) {
  const fields = useFields();
  return (
    <div className={styles.invalidList}>
      <table className={styles.invalidTable} data-testid="mapping-preview">
        <thead>
          <tr>
            {preview.columns.map((c) => (
              <th key={c.header} scope="col">
                {c.header}
                {c.known === "unknown" && (
                  <select
                    className={selectClass}
                    aria-label={`Column ${c.header}`}
                    value={choices[c.header] ?? ""}
                    onChange={(e) => onChoose(c.header, e.target.value)}
                    data-testid="column-choice"
                  >
                    <option value="">Choose…</option>
                    <option value="skip">Skip this column</option>
                    <option value="new:text">New text field</option>
                    <option value="new:number">New number field</option>
                    <option value="new:date">New date field</option>
                    <option value="new:boolean">New yes/no field</option>
                    {["email", "name", "first_name", "last_name", "status", "timezone", "tags"].map((b) => (
                      <option key={b} value={`to:${b}`}>
                        Built-in: {b}
                      </option>
                    ))}
                    {fields.data?.map((f) => (
                      <option key={f.name} value={`to:${f.name}`}>
                        Field: {f.name}
                      </option>
                    ))}
                  </select>
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.map((r, i) => (
            <tr key={i}>
              {r.map((cell, j) => (
                <td key={j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
