// The settings forms of the actions that change Cairn's own records: tags,
// fields, deals, course access, other workflows, the subscription.

import { ComboField, ErrorPolicyField, SelectField, TextField } from "../fields";
import styles from "../Inspector.module.css";
import { type FormProps, options, setters } from "./config";

export function TagActionForm({ node, names, onNode }: FormProps<"action.add_tag" | "action.remove_tag">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <ComboField label="Tag" value={node.config.tag} suggestions={names.tags} onChange={(v) => set("tag", v, true)} testId="config-tag" />
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}

export function SetFieldForm({ node, names, onNode }: FormProps<"action.set_field">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <SelectField
        label="Field"
        value={node.config.field}
        options={options(names.fields.map((f) => f.name).filter((f) => f !== "email" && f !== "tags"))}
        onChange={(v) => set("field", v)}
        testId="config-field"
      />
      <TextField label="Value" hint={`A value, or merge fields such as {{ trigger.amount }}.`} value={node.config.value} onChange={(v) => set("value", v, true)} testId="config-value" />
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}

export function DealActionForm({ node, names, onNode }: FormProps<"action.create_deal" | "action.move_deal">) {
  const { config, set, setOpt } = setters(node, onNode);
  const pipeline = names.pipelines.find((p) => p.name.toLowerCase() === node.config.pipeline.trim().toLowerCase());
  return (
    <>
      <SelectField
        label="Pipeline"
        value={node.config.pipeline}
        options={options(names.pipelines.map((x) => x.name))}
        onChange={(v) => config({ ...node.config, pipeline: v, stage: "" })}
        empty="No pipelines yet: import a workflow that declares one, or create deals from the Contacts screen."
        testId="config-pipeline"
      />
      <SelectField label="Stage" value={node.config.stage} options={options(pipeline?.stages ?? [])} onChange={(v) => set("stage", v)} testId="config-stage" />
      {node.kind === "action.create_deal" && (
        <>
          <TextField label="Title (optional)" hint="Defaults to the contact's name." value={node.config.title ?? ""} onChange={(v) => setOpt("title", v, true)} />
          <TextField label="Value (optional)" hint="Such as {{ trigger.amount }}." value={node.config.value ?? ""} onChange={(v) => setOpt("value", v, true)} />
        </>
      )}
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}

export function CourseActionForm({ node, names, onNode }: FormProps<"action.enroll_course" | "action.unenroll_course">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <ComboField label="Course" value={node.config.course} suggestions={names.courses} onChange={(v) => set("course", v, true)} testId="config-course" />
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}

export function WorkflowActionForm({ node, names, onNode }: FormProps<"action.start_workflow" | "action.remove_from_workflow">) {
  const { set, setOpt } = setters(node, onNode);
  return (
    <>
      <SelectField
        label="Workflow"
        value={node.config.workflow}
        options={options(names.workflows)}
        onChange={(v) => set("workflow", v)}
        empty="There are no other workflows yet."
        testId="config-workflow"
      />
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}

export function UnsubscribeForm({ node, onNode }: FormProps<"action.unsubscribe">) {
  const { setOpt } = setters(node, onNode);
  return (
    <>
      <p className={styles.note}>The contact is marked unsubscribed: no workflow sends them email again.</p>
      <ErrorPolicyField policy={node.config.on_error} onChange={(p) => setOpt("on_error", p)} />
    </>
  );
}
