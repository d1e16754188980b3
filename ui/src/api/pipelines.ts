// Commands of the Pipelines screen (src-tauri/commands/pipelines.rs).
// Moving a card is the contact page's command (contactsApi.setDealStage),
// and the pipeline list is contactsApi.pipelines: one path for both screens.

import type { BoardDeal, BoardQuery, Pipeline, StageUse } from "@/bindings";

import { commandCaller } from "./invoke";

type PipelineCommands = {
  board_deals: { args: { query: BoardQuery }; result: BoardDeal[] };
  add_pipeline: { args: { name: string; stages: string[] }; result: Pipeline };
  rename_pipeline: { args: { pipeline: string; name: string }; result: Pipeline };
  add_stage: { args: { pipeline: string; stage: string }; result: Pipeline };
  rename_stage: { args: { pipeline: string; stage: string; name: string }; result: Pipeline };
  move_stage: { args: { pipeline: string; stage: string; position: number }; result: Pipeline };
  delete_stage: { args: { pipeline: string; stage: string }; result: Pipeline };
  pipeline_usage: { args: { pipeline: string }; result: StageUse[] };
};

const call = commandCaller<PipelineCommands>();

export const pipelinesApi = {
  /** The deals a query selects, in stage order. */
  deals: (query: BoardQuery) => call("board_deals", { query }),
  add: (name: string, stages: string[]) => call("add_pipeline", { name, stages }),
  rename: (pipeline: string, name: string) => call("rename_pipeline", { pipeline, name }),
  addStage: (pipeline: string, stage: string) => call("add_stage", { pipeline, stage }),
  renameStage: (pipeline: string, stage: string, name: string) => call("rename_stage", { pipeline, stage, name }),
  /** Moves a stage to `position` (0 is first). */
  moveStage: (pipeline: string, stage: string, position: number) =>
    call("move_stage", { pipeline, stage, position }),
  /** Deletes an empty stage; a stage holding deals fails with code "conflict". */
  deleteStage: (pipeline: string, stage: string) => call("delete_stage", { pipeline, stage }),
  /** Which workflows name each stage, including stage names the pipeline no longer has. */
  usage: (pipeline: string) => call("pipeline_usage", { pipeline }),
};
