// Event types for the pickers.

/** Event types Cairn and its connectors record (crates/cairn-model event::types), offered as suggestions. */
export const COMMON_EVENTS = [
  "contact.created",
  "tag.added",
  "tag.removed",
  "field.changed",
  "status.changed",
  "form.submitted",
  "purchase.completed",
  "refund.issued",
  "link.clicked",
  "email.opened",
  "email.delivered",
  "email.bounced",
  "email.complained",
  "email.replied",
  "contact.unsubscribed",
  "course.progress",
  "course.completed",
  "course.enrolled",
  "course.unenrolled",
  "deal.created",
  "deal.stage_changed",
  "order.created",
  "order.fulfilled",
  "order.delivered",
];
