//! AWS naming shared by the `CloudTrail`, `SageMaker`, OCSF and Bedrock adapters: service
//! names, the event-model action of an API call, model package ARNs and the lineage of a
//! `SageMaker` job description. Nothing here depends on another adapter.

use serde_json::Value;

use super::adapt::{art, items, path_ci, push_unique, str_at};
use crate::model::{AuditEvent, ModelRef};

/// The service part of an event source (`sagemaker.amazonaws.com` -> `sagemaker`).
pub(crate) fn service_of(event_source: &str) -> String {
    let s = event_source.trim().to_ascii_lowercase();
    s.strip_suffix(".amazonaws.com").unwrap_or(&s).to_owned()
}

/// The event-model action for an AWS API call: the vocabulary where the meaning matches,
/// else `aws.<service>.<eventname in lower case>`. STS calls (`AssumeRole`, session tokens)
/// hand out credentials to someone already signed in: they are not logins.
pub(crate) fn aws_action(service: Option<&str>, name: Option<&str>, req: Option<&Value>) -> String {
    let svc = service.map(service_of).unwrap_or_default();
    let n = name.unwrap_or_default().trim().to_ascii_lowercase();
    if let Some(a) = vocabulary_action(&svc, &n, req) {
        return a.to_owned();
    }
    let svc = if svc.is_empty() { "unknown" } else { &svc };
    if n.is_empty() {
        format!("aws.{svc}")
    } else {
        format!("aws.{svc}.{}", super::adapt::action_segment(&n))
    }
}

// A lookup table: one arm per group of calls, clearer than splitting it.
#[allow(clippy::too_many_lines)]
fn vocabulary_action(svc: &str, n: &str, req: Option<&Value>) -> Option<&'static str> {
    let r = |path: &[&str]| req.and_then(|v| str_at(v, path));
    Some(match (svc, n) {
        ("sagemaker", "createtrainingjob") | ("bedrock", "createmodelcustomizationjob") => {
            "model.train.start"
        }
        ("sagemaker", "createhyperparametertuningjob") => "model.tune",
        ("sagemaker", "createmodel" | "createmodelpackage" | "createmodelpackagegroup") => {
            "model.register"
        }
        ("sagemaker", "updatemodelpackage") => {
            match r(&["modelApprovalStatus"])?.to_ascii_lowercase().as_str() {
                "approved" => "model.approve",
                "rejected" => "model.reject",
                _ => return None,
            }
        }
        ("sagemaker", "createendpoint" | "updateendpoint")
        | ("bedrock", "createprovisionedmodelthroughput") => "model.deploy",
        (
            "sagemaker",
            "createendpointconfig" | "deleteendpointconfig" | "updateendpointweightsandcapacities",
        ) => "deploy.config.change",
        ("sagemaker", "deleteendpoint" | "deletemodel")
        | ("bedrock", "deleteprovisionedmodelthroughput") => "model.decommission",
        (
            "sagemaker" | "runtime.sagemaker",
            "invokeendpoint" | "invokeendpointasync" | "invokeendpointwithresponsestream",
        )
        | ("sagemaker", "createtransformjob")
        | (
            "bedrock" | "bedrock-runtime",
            "invokemodel" | "invokemodelwithresponsestream" | "converse" | "conversestream",
        ) => "inference.predict",
        ("sagemaker", "createprocessingjob") => "data.transform",
        ("sagemaker", "createfeaturegroup") => "feature.create",
        ("sagemaker", "createexperiment") => "experiment.create",
        ("sagemaker", "updateexperiment" | "deleteexperiment" | "createtrial") => {
            "experiment.modify"
        }
        ("secretsmanager", "getsecretvalue" | "batchgetsecretvalue") => "secret.read",
        ("ssm", "getparameter" | "getparameters" | "getparametersbypath")
            if r(&["withDecryption"]).as_deref() == Some("true") =>
        {
            "secret.read"
        }
        (
            "cloudtrail",
            "stoplogging"
            | "startlogging"
            | "deletetrail"
            | "updatetrail"
            | "createtrail"
            | "puteventselectors"
            | "putinsightselectors",
        )
        | (
            "config",
            "stopconfigurationrecorder"
            | "deleteconfigurationrecorder"
            | "deletedeliverychannel"
            | "putconfigurationrecorder"
            | "putdeliverychannel",
        )
        | ("logs", "deleteloggroup" | "deletelogstream" | "putretentionpolicy")
        | (
            "bedrock",
            "putmodelinvocationloggingconfiguration" | "deletemodelinvocationloggingconfiguration",
        ) => "audit.config.change",
        ("cloudtrail", "lookupevents") => "audit.log.access",
        (
            "signin",
            "consolelogin"
            | "externalidpdirectorylogin"
            | "switchrole"
            | "credentialchallenge"
            | "userauthentication",
        )
        | ("sso", "authenticate" | "createtoken") => "auth.login",
        ("signin", "consolelogout" | "logout") => "auth.logout",
        ("s3", "getobject") => "data.access",
        ("s3", "putobject" | "copyobject" | "completemultipartupload") => "data.store",
        ("s3", "deleteobject" | "deleteobjects" | "deletebucket") => "data.delete",
        (
            "iam",
            "attachuserpolicy"
            | "attachrolepolicy"
            | "attachgrouppolicy"
            | "putuserpolicy"
            | "putrolepolicy"
            | "putgrouppolicy"
            | "addusertogroup"
            | "createaccesskey"
            | "createloginprofile"
            | "updateassumerolepolicy",
        ) => "access.grant",
        (
            "iam",
            "detachuserpolicy"
            | "detachrolepolicy"
            | "detachgrouppolicy"
            | "deleteuserpolicy"
            | "deleterolepolicy"
            | "deletegrouppolicy"
            | "removeuserfromgroup"
            | "deleteaccesskey"
            | "deleteloginprofile",
        ) => "access.revoke",
        _ => return None,
    })
}

/// Parses a model package ARN `arn:...:model-package/<group>/<version>`.
pub(crate) fn model_package(arn: &str) -> Option<ModelRef> {
    let rest = arn.split_once(":model-package/").map_or(arn, |(_, r)| r);
    if rest.starts_with("arn:") {
        return None;
    }
    let mut parts = rest.splitn(2, '/');
    let group = parts.next().filter(|g| !g.is_empty())?.to_owned();
    let version = parts.next().filter(|v| !v.is_empty()).map(str::to_owned);
    Some(ModelRef { id: group, version })
}

/// Adds the lineage of a `SageMaker` job description (request parameters in `CloudTrail`
/// or an `EventBridge` detail; names are matched ignoring case): S3 inputs as datasets,
/// output paths as artifacts, model data as artifacts read.
pub(crate) fn job_lineage(v: &Value, ev: &mut AuditEvent) {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let data_configs = [
        path_ci(v, &["inputDataConfig"]),
        path_ci(v, &["trainingJobDefinition", "inputDataConfig"]),
    ];
    for cfg in data_configs {
        for ch in items(cfg) {
            if let Some(u) = str_at(ch, &["dataSource", "s3DataSource", "s3Uri"]) {
                inputs.push(art("dataset", u, None));
            }
        }
    }
    if let Some(u) = str_at(
        v,
        &["transformInput", "dataSource", "s3DataSource", "s3Uri"],
    ) {
        inputs.push(art("dataset", u, None));
    }
    for p in items(path_ci(v, &["processingInputs"])) {
        if let Some(u) = str_at(p, &["s3Input", "s3Uri"]) {
            inputs.push(art("dataset", u, None));
        }
    }
    if let Some(u) = str_at(v, &["trainingDataConfig", "s3Uri"]) {
        inputs.push(art("dataset", u, None));
    }
    let mut containers: Vec<&Value> = Vec::new();
    containers.extend(path_ci(v, &["primaryContainer"]));
    containers.extend(items(path_ci(v, &["containers"])));
    containers.extend(items(path_ci(v, &["inferenceSpecification", "containers"])));
    for c in containers {
        if let Some(u) = str_at(c, &["modelDataUrl"]) {
            inputs.push(art("artifact", u, None));
        }
    }
    for path in [
        &["outputDataConfig", "s3OutputPath"][..],
        &["trainingJobDefinition", "outputDataConfig", "s3OutputPath"],
        &["outputDataConfig", "s3Uri"],
        &["modelArtifacts", "s3ModelArtifacts"],
    ] {
        if let Some(u) = str_at(v, path) {
            outputs.push(art("artifact", u, None));
        }
    }
    if let Some(u) = str_at(v, &["transformOutput", "s3OutputPath"]) {
        outputs.push(art("dataset", u, None));
    }
    for o in items(path_ci(v, &["processingOutputConfig", "outputs"])) {
        if let Some(u) = str_at(o, &["s3Output", "s3Uri"]) {
            outputs.push(art("dataset", u, None));
        }
    }
    for a in inputs {
        push_unique(&mut ev.inputs, a);
    }
    for a in outputs {
        push_unique(&mut ev.outputs, a);
    }
}
