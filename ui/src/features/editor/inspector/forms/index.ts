// The settings form of every node kind, one module per node family.
// `Record`-like over every `Kind` (as core/editor/kinds.ts): a kind the
// generated bindings know and this table lacks does not compile.

import type { Kind } from "@/core/editor/kinds";

import type { Form } from "./config";
import { CourseActionForm, DealActionForm, SetFieldForm, TagActionForm, UnsubscribeForm, WorkflowActionForm } from "./internal";
import { NotifyForm, SendEmailForm, WebhookForm } from "./external";
import { BranchForm, ConditionForm, EndForm, SplitForm } from "./flow";
import {
  CourseCompletedForm,
  CourseProgressForm,
  CustomEventForm,
  DateTriggerForm,
  DealStageForm,
  EmailEngagementForm,
  FiltersOnlyForm,
  FormSubmittedForm,
  LinkClickedForm,
  ManualForm,
  ScheduleForm,
  TagTriggerForm,
} from "./triggers";
import { WaitDurationForm, WaitForEventForm, WaitUntilDateForm, WaitUntilTimeForm } from "./waits";

export type { FormProps } from "./config";

/** Each kind's form, typed by the kind it edits. */
export const FORMS: { [K in Kind]: Form<K> } = {
  "trigger.contact_created": FiltersOnlyForm,
  "trigger.form_submitted": FormSubmittedForm,
  "trigger.purchase_completed": FiltersOnlyForm,
  "trigger.refund_issued": FiltersOnlyForm,
  "trigger.tag_added": TagTriggerForm,
  "trigger.tag_removed": TagTriggerForm,
  "trigger.link_clicked": LinkClickedForm,
  "trigger.email_opened": EmailEngagementForm,
  "trigger.email_replied": EmailEngagementForm,
  "trigger.course_progress": CourseProgressForm,
  "trigger.course_completed": CourseCompletedForm,
  "trigger.deal_stage_changed": DealStageForm,
  "trigger.date": DateTriggerForm,
  "trigger.schedule": ScheduleForm,
  "trigger.manual": ManualForm,
  "trigger.event": CustomEventForm,
  "trigger.workflow_failed": FiltersOnlyForm,
  condition: ConditionForm,
  branch: BranchForm,
  split: SplitForm,
  "wait.duration": WaitDurationForm,
  "wait.until_time": WaitUntilTimeForm,
  "wait.until_date": WaitUntilDateForm,
  "wait.for_event": WaitForEventForm,
  end: EndForm,
  "action.send_email": SendEmailForm,
  "action.add_tag": TagActionForm,
  "action.remove_tag": TagActionForm,
  "action.set_field": SetFieldForm,
  "action.create_deal": DealActionForm,
  "action.move_deal": DealActionForm,
  "action.enroll_course": CourseActionForm,
  "action.unenroll_course": CourseActionForm,
  "action.start_workflow": WorkflowActionForm,
  "action.remove_from_workflow": WorkflowActionForm,
  "action.webhook": WebhookForm,
  "action.notify": NotifyForm,
  "action.unsubscribe": UnsubscribeForm,
};
