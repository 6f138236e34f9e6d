use super::*;
use std::path::Path;

fn read_str(text: &str) -> Result<Trace, TraceError> {
    Trace::from_reader(Path::new("t.csv"), text.as_bytes(), &ReadOptions::default())
}

fn manifest(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn reads_the_azure_2023_conversation_trace() {
    let t = Trace::read(
        &manifest("traces/azure/AzureLLMInferenceTrace_conv_2023.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(t.format, TraceFormat::Azure2023);
    assert_eq!(t.len(), 19_366);
    assert_eq!(t.failures, 0);
    assert_eq!(t.rows[0].arrival_s, 0.0);
    assert_eq!((t.rows[0].input_tokens, t.rows[0].output_tokens), (374, 44));
    // 18:15:46.6805900 -> 18:15:50.9951690
    assert!((t.rows[1].arrival_s - 4.314_579).abs() < 1e-6);
    // The file spans 18:15:47 -> 19:14:08 (58 minutes).
    let span = t.rows.last().unwrap().arrival_s;
    assert!((3400.0..3600.0).contains(&span), "span {span}");
}

#[test]
fn reads_burstgpt_by_column_name_and_drops_failures() {
    let t = Trace::read(
        &manifest("traces/burstgpt/BurstGPT_1_head42.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(t.format, TraceFormat::Burstgpt);
    assert_eq!(t.failures, 4);
    assert_eq!(t.len(), 42 - 4);
    // First row is at 5 s in the file; times are shifted to start at zero.
    assert_eq!(t.rows[1].arrival_s, 40.0);
    let kept = Trace::read(
        &manifest("traces/burstgpt/BurstGPT_1_head42.csv"),
        &ReadOptions {
            keep_failures: true,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!((kept.len(), kept.failures), (42, 0));
}

#[test]
fn burstgpt_release_with_session_columns_is_read_by_name() {
    let t = read_str(
        "Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
         0,a,1,ChatGPT,10,20,30,Conversation log\n\
         3,b,2,GPT-4,11,21,32,API log\n",
    )
    .unwrap();
    assert_eq!(t.rows[1].input_tokens, 11);
    assert_eq!(t.rows[1].output_tokens, 21);
    assert_eq!(t.rows[1].arrival_s, 3.0);
}

#[test]
fn splitwise_layout_is_detected() {
    let t = read_str("arrived_at,num_prefill_tokens,num_decode_tokens\n0.5,100,7\n1.5,200,8\n")
        .unwrap();
    assert_eq!(t.format, TraceFormat::Splitwise);
    assert_eq!(t.rows[1].arrival_s, 1.0);
}

#[test]
fn unsorted_rows_are_sorted_and_counted() {
    let t =
        read_str("arrived_at,num_prefill_tokens,num_decode_tokens\n5,1,1\n1,2,2\n3,3,3\n").unwrap();
    assert_eq!(t.reordered, 1);
    let order: Vec<u32> = t.rows.iter().map(|r| r.input_tokens).collect();
    assert_eq!(order, vec![2, 3, 1]);
}

#[test]
fn a_missing_column_names_the_file_the_column_and_the_format() {
    let err = read_str("Timestamp,Model,Request tokens\n1,ChatGPT,3\n").unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("t.csv:"), "{msg}");
    assert!(
        msg.contains("`Response tokens`") && msg.contains("burstgpt"),
        "{msg}"
    );
    assert_eq!(msg.lines().count(), 1);
}

#[test]
fn an_unknown_header_lists_the_known_layouts() {
    let msg = read_str("a,b,c\n1,2,3\n").unwrap_err().to_string();
    assert!(
        msg.contains("azure-2023") && msg.contains("arrived_at"),
        "{msg}"
    );
}

#[test]
fn a_bad_value_names_the_line_and_column() {
    let msg = read_str("arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,x,1\n")
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("t.csv:3: column `num_prefill_tokens`"),
        "{msg}"
    );
    assert!(msg.contains("whole number"), "{msg}");
}

#[test]
fn a_trace_of_failures_only_is_empty() {
    let err = read_str("Timestamp,Request tokens,Response tokens\n1,0,0\n").unwrap_err();
    assert!(matches!(err, TraceError::Empty { failures: 1, .. }));
}

#[test]
fn rescaling_gives_the_exact_count_over_the_horizon_in_order() {
    let t =
        read_str("arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,2,2\n3,3,3\n").unwrap();
    // period = 3 * 3/2 = 4.5 s; 1000 queries over 100 s.
    let s = ScaledTrace::new(
        std::sync::Arc::new(t.clone()),
        Rescale {
            queries: 1000,
            horizon_s: 100.0,
        },
    );
    assert_eq!(s.len(), 1000);
    let qs: Vec<Query> = (0..s.len()).map(|i| s.query(i)).collect();
    assert!(qs.windows(2).all(|w| w[0].arrival_s <= w[1].arrival_s));
    // The (n+1)-th copy would start exactly at the horizon.
    let next_copy_start = (1000.0 / 3.0) * t.period_s() / s.speedup();
    assert!((next_copy_start - 100.0).abs() < 1e-9);
    assert!(qs.last().unwrap().arrival_s < 100.0);
    assert_eq!(qs[4].input_tokens, 2);
    // As a source, it yields the same queries in batches.
    let mut source = s.clone();
    let mut streamed = Vec::new();
    loop {
        let before = streamed.len();
        source.next_batch(&mut streamed, 64).unwrap();
        if streamed.len() == before {
            break;
        }
    }
    assert_eq!(streamed, qs);
    assert_eq!(source.stats().loops, 333);
    let recorded = ScaledTrace::as_recorded(std::sync::Arc::new(t));
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded.query(2).arrival_s, 3.0);
}
