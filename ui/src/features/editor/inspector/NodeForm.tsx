// The settings form of a node: the form of its kind, from one module per
// node family (forms/). Every setting has a real input (pickers for names,
// duration and time inputs, a condition builder), never raw JSON. Optional
// settings left empty are left out of the draft, so the file stays as the
// model writes it.

import type { Kind } from "@/core/editor/kinds";

import { FORMS, type FormProps } from "./forms";
import type { Form } from "./forms/config";

export type NodeFormProps = FormProps;

export function NodeForm(props: NodeFormProps) {
  // The table pairs each kind with the form of that kind; TypeScript cannot
  // follow the pairing through the lookup, hence the widening.
  const KindForm = FORMS[props.node.kind] as Form<Kind>;
  return <KindForm {...props} />;
}
