// What every node form receives, and typed setters for its node's config:
// `set("tag", v)` only takes a key the kind's config has, with a value of
// that key's type; `setOpt` only takes an optional key, and an empty value
// drops it from the draft (the file stays as the model writes it).

import type { ReactNode } from "react";

import type { Node, WorkflowDef } from "@/api";
import type { Kind, NodeOf } from "@/core/editor/kinds";
import type { Names } from "@/core/editor/names";
import { withOptional } from "@/core/editor/objects";

export type FormProps<K extends Kind = Kind> = NodeProps<NodeOf<K>>;

type NodeProps<N extends Node> = {
  node: N;
  def: WorkflowDef;
  names: Names;
  /** A changed node; `key` groups keystrokes in one field into one undo step. */
  onNode: (next: Node, key?: string) => void;
  onDef: (next: WorkflowDef, key?: string) => void;
};

/** The settings form of the kinds `K`. */
export type Form<K extends Kind> = (props: NodeProps<NodeOf<K>>) => ReactNode;

/** The keys of `C` that may be left out. */
export type OptionalKey<C> = { [F in keyof C]-?: undefined extends C[F] ? F : never }[keyof C] & string;

export type Setters<C> = {
  /** Replaces the whole config; `key` names the field being typed in, if any. */
  config: (next: C, key?: string) => void;
  /** Sets one key; `text` when typed, so keystrokes there are one undo step. */
  set: <F extends keyof C & string>(field: F, value: C[F], text?: boolean) => void;
  /** Sets an optional key, or leaves it out when the value is empty. */
  setOpt: <F extends OptionalKey<C>>(field: F, value: C[F] | undefined, text?: boolean) => void;
};

/** The setters of one node's config. */
export function setters<C extends object>(node: { id: string; config: C }, onNode: FormProps["onNode"]): Setters<C> {
  const config = (next: C, key?: string) => onNode({ ...node, config: next } as unknown as Node, key && `${node.id}.${key}`);
  return {
    config,
    set: (field, value, text = false) => config({ ...node.config, [field]: value }, text ? field : undefined),
    setOpt: (field, value, text = false) => config(withOptional(node.config, field, value), text ? field : undefined),
  };
}

/** Select options whose label is the value. */
export const options = (list: string[]) => list.map((v) => ({ value: v, label: v }));
