//! Decoding throughput of each format adapter (`decode_record` on one typical record of each
//! format, repeated). Prints records/s and MB/s; run with `cargo bench --bench adapters`.

use std::hint::black_box;
use std::time::Instant;

use auditlens::ingest::{GenericMapping, decode_record};
use serde_json::json;

// One typical record per format: a list of data, clearer whole.
#[allow(clippy::too_many_lines)]
fn samples() -> Vec<(&'static str, String)> {
    vec![
        (
            "cloudtrail",
            json!({"eventVersion": "1.08", "userIdentity": {"type": "AssumedRole",
                "arn": "arn:aws:sts::1:assumed-role/R/s", "accessKeyId": "ASIA",
                "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/R", "userName": "R"}}},
                "eventTime": "2024-03-01T12:00:00Z", "eventSource": "sagemaker.amazonaws.com",
                "eventName": "CreateTrainingJob", "awsRegion": "us-east-1", "sourceIPAddress": "10.0.0.1",
                "userAgent": "boto3", "requestParameters": {"trainingJobName": "job-1",
                "inputDataConfig": [{"channelName": "train", "dataSource": {"s3DataSource": {"s3Uri": "s3://d/train"}}}],
                "outputDataConfig": {"s3OutputPath": "s3://d/out"}},
                "responseElements": {"trainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/job-1"},
                "requestID": "r-1", "eventID": "e-1", "eventType": "AwsApiCall", "recipientAccountId": "1"})
            .to_string(),
        ),
        (
            "kubernetes",
            json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
                "auditID": "a-1", "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/p/secrets/db",
                "verb": "get", "user": {"username": "alice", "groups": ["dev"]}, "sourceIPs": ["10.0.0.2"],
                "objectRef": {"resource": "secrets", "namespace": "p", "name": "db", "apiVersion": "v1"},
                "responseStatus": {"code": 200}, "requestReceivedTimestamp": "2024-03-01T12:00:00.000001Z",
                "stageTimestamp": "2024-03-01T12:00:00.000123Z",
                "annotations": {"authorization.k8s.io/decision": "allow"}})
            .to_string(),
        ),
        (
            "openlineage",
            json!({"eventType": "COMPLETE", "eventTime": "2024-03-01T12:00:00Z",
                "producer": "https://github.com/apache/airflow",
                "run": {"runId": "r-1", "facets": {"parent": {"run": {"runId": "p-1"}, "job": {"namespace": "a", "name": "dag"}}}},
                "job": {"namespace": "airflow", "name": "dag.task", "facets": {}},
                "inputs": [{"namespace": "s3://b", "name": "in.csv"}],
                "outputs": [{"namespace": "bigquery", "name": "p.d.t"}]})
            .to_string(),
        ),
        (
            "ocsf",
            json!({"class_uid": 3002, "activity_id": 1, "activity_name": "Logon", "time": 1_709_294_400_000_u64,
                "actor": {"user": {"uid": "arn:aws:iam::1:user/a", "name": "a"}}, "status_id": 1,
                "severity_id": 1, "src_endpoint": {"ip": "192.0.2.1"},
                "metadata": {"version": "1.1.0", "product": {"name": "CloudTrail"}}})
            .to_string(),
        ),
        (
            "mlflow",
            json!({"system": {"user": "u", "export_time": 1_709_294_400}, "mlflow": {
                "info": {"run_id": "r", "experiment_id": "1", "user_id": "u", "status": "FINISHED",
                    "start_time": 1_709_294_400_000_u64, "end_time": 1_709_294_460_000_u64, "artifact_uri": "s3://a"},
                "params": {"max_depth": "4"}, "metrics": {"rmse": [{"value": 0.7, "step": 0, "timestamp": 1}]},
                "tags": {"mlflow.user": "u"},
                "inputs": [{"dataset": {"name": "d", "digest": "x", "source": "{\"delta_table_name\": \"c.s.t\", \"delta_table_version\": 3}"}}]}})
            .to_string(),
        ),
        (
            "sagemaker",
            json!({"version": "0", "id": "e", "detail-type": "SageMaker Training Job State Change",
                "source": "aws.sagemaker", "time": "2024-03-01T12:00:00Z", "detail": {
                "TrainingJobName": "j", "TrainingJobStatus": "Completed",
                "InputDataConfig": [{"DataSource": {"S3DataSource": {"S3Uri": "s3://d/train"}}}],
                "OutputDataConfig": {"S3OutputPath": "s3://d/out"}}})
            .to_string(),
        ),
        (
            "gcp",
            json!({"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "serviceName": "aiplatform.googleapis.com",
                "methodName": "google.cloud.aiplatform.v1.EndpointService.DeployModel",
                "authenticationInfo": {"principalEmail": "ana@example.com"},
                "requestMetadata": {"callerIp": "203.0.113.9"},
                "resourceName": "projects/p/locations/us-central1/endpoints/9",
                "request": {"endpoint": "projects/p/locations/us-central1/endpoints/9",
                    "deployedModel": {"model": "projects/p/locations/us-central1/models/7@3"}},
                "status": {}}, "insertId": "i", "timestamp": "2024-03-01T12:00:00.123456Z",
                "severity": "NOTICE", "resource": {"type": "audited_resource", "labels": {"project_id": "p"}}})
            .to_string(),
        ),
        (
            "azure",
            json!({"time": "2024-03-01T12:00:00Z", "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/ep/deployments/blue",
                "operationName": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
                "category": "Administrative", "resultType": "Succeeded", "level": "Informational",
                "callerIpAddress": "203.0.113.5", "correlationId": "c", "caller": "ana@contoso.com",
                "properties": {"requestbody": "{\"properties\":{\"model\":\"azureml:churn:3\"}}"}})
            .to_string(),
        ),
        (
            "databricks",
            json!({"version": "2.0", "auditLevel": "WORKSPACE_LEVEL", "timestamp": 1_709_294_400_000_u64,
                "workspaceId": 1, "serviceName": "mlflowModelRegistry", "actionName": "createModelVersion",
                "userIdentity": {"email": "ana@example.com"}, "sourceIPAddress": "10.0.0.5",
                "requestId": "r", "requestParams": {"name": "churn", "version": "4"},
                "response": {"statusCode": 200}})
            .to_string(),
        ),
        (
            "bedrock",
            json!({"schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
                "timestamp": "2024-03-01T12:00:00Z", "accountId": "1", "region": "us-east-1",
                "requestId": "r", "operation": "Converse", "modelId": "anthropic.claude-3-haiku",
                "identity": {"arn": "arn:aws:sts::1:assumed-role/App/s"},
                "input": {"inputTokenCount": 12}, "output": {"outputTokenCount": 34}})
            .to_string(),
        ),
        (
            "generic",
            json!({"published": "2024-02-01T10:00:00.000Z", "eventType": "user.session.start",
                "actor": {"id": "00u1", "alternateId": "ana@example.com"},
                "client": {"ipAddress": "198.51.100.4"}, "outcome": {"result": "SUCCESS"},
                "severity": "INFO", "displayMessage": "User login"})
            .to_string(),
        ),
    ]
}

fn main() {
    const N: u32 = 50_000;
    println!("{:<12} {:>12} {:>10}", "format", "records/s", "MB/s");
    let mapping = GenericMapping::shared_builtin();
    for (name, record) in samples() {
        let start = Instant::now();
        let mut events = 0usize;
        for i in 0..N {
            let d = decode_record("bench.json", u64::from(i) + 1, record.as_bytes(), &mapping)
                .expect("sample records decode");
            events += d.len();
        }
        black_box(events);
        let secs = start.elapsed().as_secs_f64();
        let rate = f64::from(N) / secs;
        let mb = rate * record.len() as f64 / 1e6;
        println!("{name:<12} {rate:>12.0} {mb:>10.1}");
    }
}
