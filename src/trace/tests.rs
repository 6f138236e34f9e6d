use super::*;
use std::path::Path;

/// Write `text` to a file named `name` in a fresh temporary folder.
fn file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn read_str(text: &str) -> Result<Trace, TraceError> {
    let (_d, p) = file("t.csv", text);
    Trace::read(&p, &ReadOptions::default())
}

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Everything a source yields.
fn drain(mut s: Box<dyn QuerySource>) -> Result<Vec<Query>, TraceError> {
    let mut out = Vec::new();
    loop {
        let before = out.len();
        s.next_batch(&mut out, 1000)?;
        if out.len() == before {
            return Ok(out);
        }
    }
}

fn spec(path: &Path) -> TraceSpec {
    toml::from_str(&format!("path = {:?}", path.to_str().unwrap())).unwrap()
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
    assert_eq!(t.stats.failures, 0);
    assert_eq!(t.rows[0].arrival_s, 0.0);
    assert_eq!((t.rows[0].input_tokens, t.rows[0].output_tokens), (374, 44));
    // 18:15:46.6805900 -> 18:15:50.9951690
    assert!((t.rows[1].arrival_s - 4.314_579).abs() < 1e-6);
    // The file spans 18:15:47 -> 19:14:08 (58 minutes).
    let span = t.rows.last().unwrap().arrival_s;
    assert!((3400.0..3600.0).contains(&span), "span {span}");
}

#[test]
fn azure_2023_relative_arrivals_are_the_exact_differences_of_the_file_timestamps() {
    // Every relative arrival of both Azure 2023 traces against the exact difference of its
    // timestamp and the first, in integer nanoseconds (chrono's parser, integer arithmetic).
    // Before the whole seconds were subtracted first, 19,299 of the 19,366 conversation
    // arrivals were off by 1-205 ns (epoch seconds as one f64 are good to 238 ns only).
    for (name, rows) in [("conv", 19_366), ("code", 8_819)] {
        let path = manifest(&format!(
            "traces/azure/AzureLLMInferenceTrace_{name}_2023.csv"
        ));
        let t = Trace::read(&path, &ReadOptions::default()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut exact: Vec<i64> = text
            .lines()
            .skip(1)
            .filter(|l| !l.ends_with(",0"))
            .map(|l| {
                let ts = l.split(',').next().unwrap();
                chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S%.f")
                    .unwrap()
                    .and_utc()
                    .timestamp_nanos_opt()
                    .unwrap()
            })
            .collect();
        exact.sort_unstable();
        assert_eq!((t.len(), exact.len()), (rows, rows), "{name}");
        for (row, ns) in t.rows.iter().zip(&exact) {
            let want = (ns - exact[0]) as f64 / 1e9;
            assert!(
                (row.arrival_s - want).abs() <= 1e-12,
                "{name}: {} s, exact {want} s",
                row.arrival_s
            );
        }
    }
}

#[test]
fn reads_the_azure_2023_code_trace_in_time_order() {
    let azure = Trace::read(
        &manifest("traces/azure/AzureLLMInferenceTrace_code_2023.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(azure.len(), 8_819);
    assert!(azure
        .rows
        .windows(2)
        .all(|w| w[0].arrival_s <= w[1].arrival_s));
}

#[test]
fn reads_azure_2024_timestamps_with_a_utc_offset() {
    let (_d, p) = file(
        "a.csv",
        "TIMESTAMP,ContextTokens,GeneratedTokens\n2024-05-10 00:00:00.009930+00:00,100,10\n2024-05-10 00:00:01.509930+00:00,200,20\n",
    );
    let t = Trace::read(
        &p,
        &ReadOptions {
            format: Some(TraceFormat::Azure2024),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert!((t.rows[1].arrival_s - 1.5).abs() < 1e-9);
}

#[test]
fn reads_burstgpt_by_column_name_and_drops_failures() {
    let t = Trace::read(
        &manifest("traces/burstgpt/BurstGPT_1_head42.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(t.format, TraceFormat::Burstgpt);
    assert_eq!(t.stats.failures, 4);
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
    assert_eq!((kept.len(), kept.stats.failures), (42, 0));
}

#[test]
fn burstgpt_filters_by_model_and_log_type() {
    let gpt4 = Trace::read(
        &manifest("traces/burstgpt/BurstGPT_1_head42.csv"),
        &ReadOptions {
            models: vec!["GPT-4".into()],
            keep_failures: true,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    let text = std::fs::read_to_string(manifest("traces/burstgpt/BurstGPT_1_head42.csv")).unwrap();
    let want = text
        .lines()
        .filter(|l| l.split(',').nth(1) == Some("GPT-4"))
        .count();
    assert_eq!(gpt4.len(), want);
    assert_eq!(gpt4.stats.filtered as usize, 42 - want);
    let api = Trace::read(
        &manifest("traces/burstgpt/BurstGPT_1_head42.csv"),
        &ReadOptions {
            log_types: vec!["API log".into()],
            ..ReadOptions::default()
        },
    );
    assert!(
        matches!(api, Err(TraceError::Empty { .. })),
        "the head rows are all conversation logs"
    );
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
fn edge_cases_one_row_ties_zero_tokens_and_time_zero() {
    let one = read_str("arrived_at,num_prefill_tokens,num_decode_tokens\n0,0,5\n").unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!((one.rows[0].arrival_s, one.rows[0].input_tokens), (0.0, 0));
    assert_eq!(one.period_s(), 1.0);
    let ties =
        read_str("arrived_at,num_prefill_tokens,num_decode_tokens\n7,1,1\n7,2,2\n7,3,3\n9,4,4\n")
            .unwrap();
    let order: Vec<(f64, u32)> = ties
        .rows
        .iter()
        .map(|r| (r.arrival_s, r.input_tokens))
        .collect();
    assert_eq!(
        order,
        vec![(0.0, 1), (0.0, 2), (0.0, 3), (2.0, 4)],
        "ties keep their order and time"
    );
}

#[test]
fn epoch_and_relative_times_give_the_same_replay() {
    let rel =
        read_str("arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n2.5,1,1\n").unwrap();
    let epoch = read_str(
        "arrived_at,num_prefill_tokens,num_decode_tokens\n1700000000,1,1\n1700000002.5,1,1\n",
    )
    .unwrap();
    assert_eq!(rel.rows, epoch.rows);
}

#[test]
fn the_splitwise_copy_of_the_azure_conversation_trace_reads_as_the_same_requests() {
    let azure = Trace::read(
        &manifest("traces/azure/AzureLLMInferenceTrace_conv_2023.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    let vidur = Trace::read(
        &manifest("traces/vidur/splitwise_conv.csv"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(vidur.format, TraceFormat::Splitwise);
    assert_eq!(vidur.len(), azure.len());
    for (a, v) in azure.rows.iter().zip(&vidur.rows) {
        assert_eq!(
            (a.input_tokens, a.output_tokens),
            (v.input_tokens, v.output_tokens)
        );
        assert!((a.arrival_s - v.arrival_s).abs() < 1e-3, "{a:?} vs {v:?}");
    }
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
    assert_eq!(t.stats.reordered, 2);
    let order: Vec<u32> = t.rows.iter().map(|r| r.input_tokens).collect();
    assert_eq!(order, vec![2, 3, 1]);
}

#[test]
fn rows_out_of_order_beyond_the_reorder_window_are_an_error() {
    let mut text = String::from("arrived_at,num_prefill_tokens,num_decode_tokens\n");
    for i in 0..(stream::REORDER_WINDOW + 10) {
        text += &format!("{},1,1\n", 10 + i);
    }
    text += "1,1,1\n";
    let msg = read_str(&text).unwrap_err().to_string();
    assert!(
        msg.contains("out of order") && msg.contains("sort the file"),
        "{msg}"
    );
}

#[test]
fn a_missing_column_names_the_file_the_column_and_the_format() {
    let err = read_str("Timestamp,Model,Request tokens\n1,ChatGPT,3\n").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("t.csv:"), "{msg}");
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
        msg.contains("azure-2023") && msg.contains("arrived_at") && msg.contains("columns"),
        "{msg}"
    );
}

#[test]
fn a_bad_value_names_the_line_and_column_unless_skipped() {
    let text = "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,x,1\n2,3,3\n";
    let msg = read_str(text).unwrap_err().to_string();
    assert!(
        msg.contains("t.csv:3: column `num_prefill_tokens`"),
        "{msg}"
    );
    assert!(msg.contains("whole number"), "{msg}");
    let (_d, p) = file("t.csv", text);
    let t = Trace::read(
        &p,
        &ReadOptions {
            skip_invalid: true,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!((t.len(), t.stats.skipped_invalid), (2, 1));
}

#[test]
fn a_trace_of_failures_only_is_empty() {
    let err = read_str("Timestamp,Request tokens,Response tokens\n1,0,0\n").unwrap_err();
    assert!(matches!(err, TraceError::Empty { failures: 1, .. }));
    assert!(matches!(
        read_str("Timestamp,Request tokens,Response tokens\n"),
        Err(TraceError::Empty { failures: 0, .. })
    ));
}

#[test]
fn milliseconds_read_as_seconds_are_reported_as_an_implausible_span() {
    let (_d, p) = file("ms.csv", "ts,in,out\n0,1,1\n1000,1,1\n100000000,1,1\n");
    let columns = Columns {
        time: "ts".into(),
        time_unit: TimeUnit::S,
        input: "in".into(),
        output: "out".into(),
        model: None,
        log_type: None,
    };
    let opts = |unit| ReadOptions {
        columns: Some(
            Columns {
                time_unit: unit,
                ..columns.clone()
            }
            .into(),
        ),
        ..ReadOptions::default()
    };
    let msg = Trace::read(&p, &opts(TimeUnit::S)).unwrap_err().to_string();
    assert!(
        msg.contains("ms.csv:4") && msg.contains("1157 days") && msg.contains("time_unit"),
        "{msg}"
    );
    let t = Trace::read(&p, &opts(TimeUnit::Ms)).unwrap();
    assert_eq!(t.rows[1].arrival_s, 1.0);
}

#[test]
fn generic_csv_jsonl_and_parquet_read_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("g.csv");
    std::fs::write(
        &csv,
        "t_ms,prompt,completion,m\n1000,10,1,a\n2500,20,2,b\n4000,30,3,a\n",
    )
    .unwrap();
    let jsonl = dir.path().join("g.jsonl");
    std::fs::write(
        &jsonl,
        "{\"t_ms\": 1000, \"prompt\": 10, \"completion\": 1, \"m\": \"a\"}\n\n{\"t_ms\": 2500, \"prompt\": 20, \"completion\": 2, \"m\": \"b\"}\n{\"t_ms\": \"4000\", \"prompt\": 30, \"completion\": 3, \"m\": \"a\"}\n",
    )
    .unwrap();
    let parquet = dir.path().join("g.parquet");
    let mut df = polars::prelude::DataFrame::new_infer_height(vec![
        polars::prelude::Column::new("t_ms".into(), [1000i64, 2500, 4000]),
        polars::prelude::Column::new("prompt".into(), [10i64, 20, 30]),
        polars::prelude::Column::new("completion".into(), [1i64, 2, 3]),
        polars::prelude::Column::new("m".into(), ["a", "b", "a"]),
    ])
    .unwrap();
    polars::prelude::ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
        .finish(&mut df)
        .unwrap();
    let columns = Columns {
        time: "t_ms".into(),
        time_unit: TimeUnit::Ms,
        input: "prompt".into(),
        output: "completion".into(),
        model: Some("m".into()),
        log_type: None,
    };
    let mut all = Vec::new();
    for (path, format) in [
        (&csv, TraceFormat::Csv),
        (&jsonl, TraceFormat::Jsonl),
        (&parquet, TraceFormat::Parquet),
    ] {
        let opts = ReadOptions {
            format: Some(format),
            columns: Some(columns.clone().into()),
            models: vec!["a".into()],
            ..ReadOptions::default()
        };
        let t = Trace::read(path, &opts).unwrap();
        assert_eq!(t.stats.filtered, 1, "{format}");
        all.push(t.rows);
    }
    assert_eq!(
        all[0],
        vec![
            TraceRow {
                arrival_s: 0.0,
                input_tokens: 10,
                output_tokens: 1
            },
            TraceRow {
                arrival_s: 3.0,
                input_tokens: 30,
                output_tokens: 3
            }
        ]
    );
    assert_eq!(all[0], all[1]);
    assert_eq!(all[0], all[2]);
    // Without a column map the generic formats say what to add.
    let msg = Trace::read(&jsonl, &ReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("needs a column map") && msg.contains("trace.columns"),
        "{msg}"
    );
}

#[test]
fn a_window_keeps_its_span_and_starts_at_zero() {
    let (_d, p) = file(
        "w.csv",
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n10,2,2\n20,3,3\n30,4,4\n",
    );
    let mut s = spec(&p);
    s.window = Some(Window {
        start_s: 10.0,
        end_s: 30.0,
    });
    let q = drain(s.prepare(1).unwrap().open().unwrap()).unwrap();
    let got: Vec<(f64, u32)> = q.iter().map(|q| (q.arrival_s, q.input_tokens)).collect();
    assert_eq!(got, vec![(0.0, 2), (10.0, 3)]);
}

#[test]
fn spread_ties_are_evenly_spaced_until_the_next_arrival() {
    let (_d, p) = file(
        "t.csv",
        "Timestamp,Request tokens,Response tokens\n0,1,1\n0,2,2\n0,3,3\n0,4,4\n2,5,5\n",
    );
    let mut s = spec(&p);
    s.ties = Ties::Spread;
    let q = drain(s.prepare(1).unwrap().open().unwrap()).unwrap();
    let times: Vec<f64> = q.iter().map(|q| q.arrival_s).collect();
    assert_eq!(times, vec![0.0, 0.5, 1.0, 1.5, 2.0]);
    assert_eq!(
        q.iter().map(|q| q.index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
}

#[test]
fn rate_scaling_thins_and_replicates_to_the_factor_and_keeps_order() {
    let mut text = String::from("arrived_at,num_prefill_tokens,num_decode_tokens\n");
    for i in 0..20_000 {
        text += &format!("{},{},1\n", i, i % 100);
    }
    let (_d, p) = file("r.csv", &text);
    for (factor, tol) in [(0.25, 0.02), (1.0, 0.0), (2.5, 0.01)] {
        let mut s = spec(&p);
        s.rate_factor = Some(factor);
        let q = drain(s.prepare(7).unwrap().open().unwrap()).unwrap();
        let ratio = q.len() as f64 / 20_000.0;
        assert!(
            (ratio - factor).abs() <= tol * factor,
            "factor {factor}: {ratio}"
        );
        assert!(q.windows(2).all(|w| w[0].arrival_s <= w[1].arrival_s));
        assert!(q.last().unwrap().arrival_s < 20_000.0);
        // Same seed, same replay.
        let again = drain(s.prepare(7).unwrap().open().unwrap()).unwrap();
        assert_eq!(q, again);
    }
}

#[test]
fn per_day_scales_to_the_target_rate() {
    let mut text = String::from("arrived_at,num_prefill_tokens,num_decode_tokens\n");
    for i in 0..3600 {
        text += &format!("{i},1,1\n");
    }
    let (_d, p) = file("d.csv", &text);
    let mut s = spec(&p);
    s.per_day = Some(3.0 * 86_400.0); // 3 per second from 1 per second
    let q = drain(s.prepare(1).unwrap().open().unwrap()).unwrap();
    assert_eq!(q.len(), 3 * 3600);
}

#[test]
fn looping_reaches_the_horizon_and_stops_there() {
    let (_d, p) = file(
        "l.csv",
        "arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1,2,2\n2,3,3\n",
    );
    let mut s = spec(&p);
    s.loop_hours = Some(10.0 / 3600.0);
    let mut source = s.prepare(1).unwrap().open().unwrap();
    let mut q = Vec::new();
    source.next_batch(&mut q, 100).unwrap();
    // Period = 2 s * 3/2 = 3 s: arrivals at 0,1,2, 3,4,5, 6,7,8, 9 < 10 s.
    let times: Vec<f64> = q.iter().map(|q| q.arrival_s).collect();
    assert_eq!(
        times,
        vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    );
    assert_eq!(source.stats().loops, 3);
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
    // Query 999 is row 0 of copy 333: 333 periods of 4.5 s, compressed so that 1000/3 copies
    // fill 100 s.
    assert!((qs[999].arrival_s - 333.0 * 4.5 * 100.0 / (1000.0 / 3.0 * 4.5)).abs() < 1e-9);
    assert_eq!(qs[999].input_tokens, 1);
    assert!(qs.last().unwrap().arrival_s < 100.0);
    assert_eq!(qs[4].input_tokens, 2);
    // As a source, it yields the same queries in batches.
    let streamed = drain(Box::new(s.clone())).unwrap();
    assert_eq!(streamed, qs);
    let recorded = ScaledTrace::as_recorded(std::sync::Arc::new(t));
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded.query(2).arrival_s, 3.0);
}

mod synthesis {
    use super::super::synth::*;
    use super::*;

    fn day(spec: SynthSpec, seed: u64) -> (Synth, Vec<SynthRow>) {
        let s = Synth::new(&spec, seed).unwrap();
        let mut rows = Vec::new();
        for w in 0..s.windows() {
            s.window(w, &mut rows);
        }
        (s, rows)
    }

    fn quantile(mut v: Vec<u32>, q: f64) -> u32 {
        v.sort_unstable();
        v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1]
    }

    /// A synthesized day matches the BurstGPT statistics it imitates: mean daily volume within
    /// 3%, each hour's share of the day within 15% (relative) of BurstGPT_1's hour-of-day profile,
    /// prompt and response medians within 5% and p95/p99 within 8% of the conversation-log
    /// summaries, and, with a flat profile, the inter-arrival CV within 5% of the configured one.
    #[test]
    fn a_synthesized_day_matches_its_source_statistics() {
        let spec = SynthSpec {
            per_day: Some(400_000.0),
            ..SynthSpec::default()
        };
        let (_, rows) = day(spec, 11);
        let n = rows.len() as f64;
        assert!((n / 400_000.0 - 1.0).abs() < 0.03, "volume {n}");
        assert!(rows.windows(2).all(|w| w[0].arrival_s <= w[1].arrival_s));
        // Hour-of-day profile (BurstGPT_1, requests per hour).
        let profile: Vec<f64> =
            include_str!("../../traces/burstgpt/derived/burstgpt1_hour_of_day_profile.csv")
                .lines()
                .skip(1)
                .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
                .collect();
        let total: f64 = profile.iter().sum();
        let mut hours = [0.0; 24];
        for r in &rows {
            hours[(r.arrival_s / 3600.0) as usize % 24] += 1.0 / n;
        }
        for h in 0..24 {
            let want = profile[h] / total;
            assert!(
                (hours[h] / want - 1.0).abs() < 0.15,
                "hour {h}: {} vs {want}",
                hours[h]
            );
        }
        // Token quantiles (traces/burstgpt/derived/conv_log_*_summary.json).
        let input: Vec<u32> = rows.iter().map(|r| r.input_tokens).collect();
        let output: Vec<u32> = rows.iter().map(|r| r.output_tokens).collect();
        let close = |got: u32, want: f64, tol: f64| (f64::from(got) / want - 1.0).abs() < tol;
        assert!(
            close(quantile(input.clone(), 0.5), 547.0, 0.05),
            "input p50 {}",
            quantile(input, 0.5)
        );
        assert!(
            close(quantile(output.clone(), 0.5), 232.0, 0.05),
            "output p50"
        );
        assert!(
            close(quantile(output.clone(), 0.95), 657.0, 0.08),
            "output p95"
        );
        assert!(close(quantile(output, 0.99), 953.0, 0.08), "output p99");
        // Inter-arrival CV with a flat profile is the configured one.
        for (iat, cv) in [
            (IatLaw::Gamma, 2.0),
            (IatLaw::Weibull, 1.5),
            (IatLaw::Exponential, 1.0),
        ] {
            let flat = SynthSpec {
                per_day: Some(200_000.0),
                hour_profile: HourProfile::Flat,
                day_profile: DayProfile::Flat,
                window_s: 86_400.0,
                iat,
                cv,
                ..SynthSpec::default()
            };
            let (_, rows) = day(flat, 5);
            let gaps: Vec<f64> = rows
                .windows(2)
                .map(|w| w[1].arrival_s - w[0].arrival_s)
                .collect();
            let m = gaps.iter().sum::<f64>() / gaps.len() as f64;
            let sd =
                (gaps.iter().map(|g| (g - m) * (g - m)).sum::<f64>() / gaps.len() as f64).sqrt();
            assert!(
                (sd / m / cv - 1.0).abs() < 0.05,
                "{iat:?}: cv {} vs {cv}",
                sd / m
            );
        }
    }

    #[test]
    fn synthesis_is_seeded_and_failures_and_log_types_follow_their_shares() {
        let spec = SynthSpec {
            per_day: Some(100_000.0),
            failure_rate: 0.1,
            conversation_share: 0.7,
            ..SynthSpec::default()
        };
        let (_, a) = day(spec.clone(), 3);
        let (_, b) = day(spec.clone(), 3);
        let (_, c) = day(spec, 4);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let n = a.len() as f64;
        let failed = a.iter().filter(|r| r.output_tokens == 0).count() as f64 / n;
        let conv = a.iter().filter(|r| r.conversation).count() as f64 / n;
        assert!(
            (failed - 0.1).abs() < 0.01 && (conv - 0.7).abs() < 0.01,
            "{failed} {conv}"
        );
    }

    #[test]
    fn a_synthesized_file_reads_back_as_a_burstgpt_trace() {
        let dir = tempfile::tempdir().unwrap();
        let spec = SynthSpec {
            per_day: Some(20_000.0),
            days: 0.5,
            failure_rate: 0.05,
            ..SynthSpec::default()
        };
        let synth = Synth::new(&spec, 9).unwrap();
        let mut rows = Vec::new();
        for w in 0..synth.windows() {
            synth.window(w, &mut rows);
        }
        for name in ["s.csv", "s.parquet"] {
            let path = dir.path().join(name);
            let written = super::super::write::write_synth(&synth, &path).unwrap();
            assert_eq!(written as usize, rows.len());
            // Both read back without a column map: the Parquet file has BurstGPT's columns.
            let opts = ReadOptions::default();
            let t = Trace::read(&path, &opts).unwrap();
            let kept: Vec<&SynthRow> = rows.iter().filter(|r| r.output_tokens > 0).collect();
            assert_eq!(t.len(), kept.len(), "{name}");
            assert_eq!(t.stats.failures as usize, rows.len() - kept.len());
            let t0 = kept[0].arrival_s;
            for (a, b) in t.rows.iter().zip(&kept) {
                assert_eq!(
                    (a.input_tokens, a.output_tokens),
                    (b.input_tokens, b.output_tokens)
                );
                assert!((a.arrival_s - (b.arrival_s - t0)).abs() < 2e-3);
            }
        }
    }

    #[test]
    fn bad_synthesis_settings_name_the_field() {
        let msg = Synth::new(
            &SynthSpec {
                failure_rate: 1.5,
                ..SynthSpec::default()
            },
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("trace.synth.failure_rate"), "{msg}");
        let msg = Synth::new(
            &SynthSpec {
                cv: 0.0,
                ..SynthSpec::default()
            },
            1,
        )
        .unwrap_err()
        .to_string();
        assert!(msg.contains("trace.synth.cv"), "{msg}");
    }
}

/// The relative arrival times of `path` read with time column `t` in `unit`.
fn relative_times(path: &Path, format: TraceFormat, unit: TimeUnit) -> Vec<f64> {
    let opts = ReadOptions {
        format: Some(format),
        columns: Some(
            Columns {
                time: "t".into(),
                time_unit: unit,
                input: "in".into(),
                output: "out".into(),
                model: None,
                log_type: None,
            }
            .into(),
        ),
        ..ReadOptions::default()
    };
    let t = Trace::read(path, &opts).unwrap();
    t.rows.iter().map(|r| r.arrival_s).collect()
}

fn assert_times(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-12, "{what}: got {got:?}, want {want:?}");
    }
}

#[test]
fn epoch_timestamps_keep_sub_microsecond_precision_relative_to_the_first_arrival() {
    // As one f64, an epoch time in 2025 is only good to 2^-22 s = 238 ns in seconds (1.7e9)
    // and 2^-12 ms = 244 ns in milliseconds (1.7e12): subtracting the first arrival after that
    // conversion turns a 1 ms gap into 1 ms +- 0.24 us. Whole seconds are subtracted first,
    // so gaps come out exact (to 1e-12 s here).
    // Epoch milliseconds (2023-11-14 22:13:20 UTC + ...), 1 ms and 0.001 ms apart.
    let (_d, p) = file(
        "ms.csv",
        "t,in,out\n1700000000000,1,1\n1700000000001,1,1\n1700000000001.001,1,1\n\
         1700000000001.002,1,1\n1700000060000.5,1,1\n",
    );
    assert_times(
        &relative_times(&p, TraceFormat::Csv, TimeUnit::Ms),
        &[0.0, 0.001, 0.001001, 0.001002, 60.0005],
        "epoch ms",
    );
    // Epoch nanoseconds (1.7e18 ns does not fit an f64's 53 bits either): 1 ns and 249 ns.
    let (_d, p) = file(
        "ns.csv",
        "t,in,out\n1700000000000000000,1,1\n1700000000000000001,1,1\n\
         1700000000000000250,1,1\n1700000001000000000,1,1\n",
    );
    assert_times(
        &relative_times(&p, TraceFormat::Csv, TimeUnit::Ns),
        &[0.0, 1e-9, 2.5e-7, 1.0],
        "epoch ns",
    );
    // Epoch seconds with 7 decimals, and microseconds, in JSON Lines.
    let (_d, p) = file(
        "s.jsonl",
        "{\"t\": \"1700000000.1000000\", \"in\": 1, \"out\": 1}\n\
         {\"t\": \"1700000000.1000001\", \"in\": 1, \"out\": 1}\n\
         {\"t\": 1700000002, \"in\": 1, \"out\": 1}\n",
    );
    assert_times(
        &relative_times(&p, TraceFormat::Jsonl, TimeUnit::S),
        &[0.0, 1e-7, 1.9],
        "epoch s",
    );
    let (_d, p) = file(
        "us.csv",
        "t,in,out\n1700000000000000,1,1\n1700000000000001,1,1\n1700000000000001.5,1,1\n",
    );
    assert_times(
        &relative_times(&p, TraceFormat::Csv, TimeUnit::Us),
        &[0.0, 1e-6, 1.5e-6],
        "epoch us",
    );
    // Date-times with 7 fractional digits (the Azure 2023 layout): 100 ns apart, and across
    // a minute.
    let (_d, p) = file(
        "dt.csv",
        "t,in,out\n2023-11-16 18:15:46.6805900,1,1\n2023-11-16 18:15:46.6805901,1,1\n\
         2023-11-16 18:16:00.0000001,1,1\n",
    );
    assert_times(
        &relative_times(&p, TraceFormat::Csv, TimeUnit::Datetime),
        &[0.0, 1e-7, 13.3194101],
        "date-times",
    );
}

#[test]
fn parquet_timestamp_columns_keep_nanoseconds_in_every_unit() {
    // A Parquet timestamp column (nanoseconds since the epoch) read as milliseconds: the
    // reader writes each value as exact decimal text in the column's unit.
    use polars::prelude::{Column, DataFrame, DataType, ParquetWriter, TimeUnit as PlTimeUnit};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ts.parquet");
    let ns = [
        1_700_000_000_000_000_000i64,
        1_700_000_000_000_000_001,
        1_700_000_000_001_000_250,
    ];
    let t = Column::new("t".into(), ns)
        .cast(&DataType::Datetime(PlTimeUnit::Nanoseconds, None))
        .unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        t,
        Column::new("in".into(), [1i64, 1, 1]),
        Column::new("out".into(), [1i64, 1, 1]),
    ])
    .unwrap();
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    for unit in [TimeUnit::S, TimeUnit::Ms, TimeUnit::Us, TimeUnit::Ns] {
        assert_times(
            &relative_times(&path, TraceFormat::Parquet, unit),
            &[0.0, 1e-9, 0.001000250],
            &format!("{unit:?}"),
        );
    }
    assert_times(
        &relative_times(&path, TraceFormat::Parquet, TimeUnit::Datetime),
        &[0.0, 1e-9, 0.001000250],
        "Datetime",
    );
}
