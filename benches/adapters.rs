//! Decoding throughput of each format adapter (`decode_record` on one typical record of each
//! format, repeated). Prints records/s and MB/s; run with `cargo bench --bench adapters`.

use std::hint::black_box;
use std::time::Instant;

use auditlens::ingest::decode_record;
use serde_json::json;

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
    ]
}

fn main() {
    const N: u32 = 50_000;
    println!("{:<12} {:>12} {:>10}", "format", "records/s", "MB/s");
    for (name, record) in samples() {
        let start = Instant::now();
        let mut events = 0usize;
        for i in 0..N {
            let d = decode_record("bench.json", u64::from(i) + 1, record.as_bytes())
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
