//! Nodes that choose an exit: a condition (yes or no), a branch (the
//! first path whose condition holds, else "otherwise") and an A/B split (a
//! variant by weight, from the same stable hash of the run and the node as
//! the `random_split` condition, so a run re-evaluated after a restart takes
//! the same variant).

use cairn_model::workflow::{Node, NodeSpec, exits};
use cairn_store::runs::StepStatus;
use cairn_store::step_detail::StepDetail;

use super::{Batch, Flow, OpenRun, contact, facts, record_step};
use crate::error::{EngineError, Result};
use crate::eval::{holds, split_seed};

pub(super) fn exec(batch: &mut Batch<'_>, run: &mut OpenRun, node: &Node) -> Result<Flow> {
    let ok = |exit: &str| Flow::Next(exit.to_string());
    match &node.spec {
        NodeSpec::Condition(c) => {
            let contact = contact(batch, run)?;
            let yes = holds(&c.condition, &facts(batch, run, &contact, &node.id))?;
            let exit = if yes { exits::YES } else { exits::NO };
            record_step(
                batch,
                run,
                node,
                StepStatus::Ok,
                Some(exit),
                Some(StepDetail::Condition { result: yes }.into()),
            )?;
            Ok(ok(exit))
        }
        NodeSpec::Branch(b) => {
            let contact = contact(batch, run)?;
            let mut exit = exits::OTHERWISE.to_string();
            for p in &b.paths {
                if holds(&p.condition, &facts(batch, run, &contact, &node.id))? {
                    exit = p.name.clone();
                    break;
                }
            }
            record_step(
                batch,
                run,
                node,
                StepStatus::Ok,
                Some(&exit),
                Some(StepDetail::Branch { path: exit.clone() }.into()),
            )?;
            Ok(Flow::Next(exit))
        }
        NodeSpec::Split(s) => {
            let variant = s
                .choose(&split_seed(run.id), &node.id)
                .ok_or_else(|| {
                    EngineError::Invalid(format!("split {:?} has no variant with weight", node.id))
                })?
                .to_string();
            record_step(
                batch,
                run,
                node,
                StepStatus::Ok,
                Some(&variant),
                Some(
                    StepDetail::Split {
                        variant: variant.clone(),
                        winner: s.winner.is_some().then_some(true),
                    }
                    .into(),
                ),
            )?;
            Ok(Flow::Next(variant))
        }
        other => Err(EngineError::Invalid(format!(
            "{} is not a condition, branch or split",
            other.kind()
        ))),
    }
}
