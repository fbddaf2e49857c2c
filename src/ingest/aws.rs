//! What the AWS adapters share (`CloudTrail` and `SageMaker` `EventBridge` events), kept
//! apart so that neither adapter imports the other both ways.
//!
//! Allowed imports: `model`.

use crate::model::ModelRef;

/// Parses a model package ARN `arn:...:model-package/<group>/<version>`.
pub fn model_package(arn: &str) -> Option<ModelRef> {
    let rest = arn.split_once(":model-package/").map_or(arn, |(_, r)| r);
    if rest.starts_with("arn:") {
        return None;
    }
    let mut parts = rest.splitn(2, '/');
    let group = parts.next().filter(|g| !g.is_empty())?.to_owned();
    let version = parts.next().filter(|v| !v.is_empty()).map(str::to_owned);
    Some(ModelRef { id: group, version })
}
