#!/bin/sh
# Regenerates every ML.ENERGY-derived pair in ../../pairs/ from the model files in this folder
# (byte-for-byte copies of ml-energy/leaderboard public/data/models/, snapshot 0cd52dab,
# 2026-02-27; see ML_ENERGY_DATA_README.md). Run from the repository root:
#   sh hardware-profiles/sources/ml-energy/import.sh [path/to/ipw-sim]
# `cargo test` checks that each pair file is exactly what its recorded command produces.
set -e
IPW=${1:-target/release/ipw-sim}
S=hardware-profiles/sources/ml-energy
P=hardware-profiles/pairs
imp() { file=$1; out=$2; shift 2; "$IPW" profile import ml-energy "$S/$file" --out "$P/$out" "$@"; }

# Chat (lm-arena-chat) variants are the defaults; reasoning (gpqa) variants are selectable.
imp Qwen__Qwen3-8B__lm-arena-chat.json qwen3-8b__nvidia-h100__lm-arena-chat.toml --model Qwen3-8B --accelerator nvidia-h100 --default
imp Qwen__Qwen3-8B__lm-arena-chat.json qwen3-8b__nvidia-b200__lm-arena-chat.toml --model Qwen3-8B --accelerator nvidia-b200 --default
imp Qwen__Qwen3-8B__gpqa.json qwen3-8b__nvidia-h100__gpqa.toml --model Qwen3-8B --accelerator nvidia-h100
imp Qwen__Qwen3-8B__gpqa.json qwen3-8b__nvidia-b200__gpqa.toml --model Qwen3-8B --accelerator nvidia-b200
imp Qwen__Qwen3-14B__lm-arena-chat.json qwen3-14b__nvidia-h100__lm-arena-chat.toml --model Qwen3-14B --accelerator nvidia-h100 --default
imp Qwen__Qwen3-14B__lm-arena-chat.json qwen3-14b__nvidia-b200__lm-arena-chat.toml --model Qwen3-14B --accelerator nvidia-b200 --default
imp Qwen__Qwen3-14B__gpqa.json qwen3-14b__nvidia-h100__gpqa.toml --model Qwen3-14B --accelerator nvidia-h100
imp Qwen__Qwen3-14B__gpqa.json qwen3-14b__nvidia-b200__gpqa.toml --model Qwen3-14B --accelerator nvidia-b200
# Qwen3-32B on one H100 was measured at 3 caps only (up to batch 29): 2 x H100 is used.
imp Qwen__Qwen3-32B__lm-arena-chat.json qwen3-32b__nvidia-h100__lm-arena-chat.toml --model Qwen3-32B --accelerator nvidia-h100 --gpus 2 --default
imp Qwen__Qwen3-32B__lm-arena-chat.json qwen3-32b__nvidia-b200__lm-arena-chat.toml --model Qwen3-32B --accelerator nvidia-b200 --default
imp Qwen__Qwen3-32B__gpqa.json qwen3-32b__nvidia-h100__gpqa.toml --model Qwen3-32B --accelerator nvidia-h100
# Outliers (profile check flags them): cap 8 steps slower than cap 16 (median ITL 44 vs 36 ms).
imp Qwen__Qwen3-32B__gpqa.json qwen3-32b__nvidia-b200__gpqa.toml --model Qwen3-32B --accelerator nvidia-b200 --skip-caps 8
imp Qwen__Qwen3-30B-A3B-Instruct-2507__lm-arena-chat.json qwen3-30b-a3b__nvidia-h100__lm-arena-chat.toml --model Qwen3-30B-A3B --accelerator nvidia-h100 --default
imp Qwen__Qwen3-30B-A3B-Instruct-2507__lm-arena-chat.json qwen3-30b-a3b__nvidia-b200__lm-arena-chat.toml --model Qwen3-30B-A3B --accelerator nvidia-b200 --default
imp Qwen__Qwen3-30B-A3B-Thinking-2507__gpqa.json qwen3-30b-a3b__nvidia-h100__gpqa.toml --model Qwen3-30B-A3B --accelerator nvidia-h100 --gpus 2
imp Qwen__Qwen3-30B-A3B-Thinking-2507__gpqa.json qwen3-30b-a3b__nvidia-b200__gpqa.toml --model Qwen3-30B-A3B --accelerator nvidia-b200
imp Qwen__Qwen3-235B-A22B-Instruct-2507__lm-arena-chat.json qwen3-235b-a22b__nvidia-h100__lm-arena-chat.toml --model Qwen3-235B-A22B --accelerator nvidia-h100 --default
imp Qwen__Qwen3-235B-A22B-Instruct-2507__lm-arena-chat.json qwen3-235b-a22b__nvidia-b200__lm-arena-chat.toml --model Qwen3-235B-A22B --accelerator nvidia-b200 --default
imp Qwen__Qwen3-235B-A22B-Thinking-2507__gpqa.json qwen3-235b-a22b__nvidia-h100__gpqa.toml --model Qwen3-235B-A22B --accelerator nvidia-h100
imp Qwen__Qwen3-235B-A22B-Thinking-2507__gpqa.json qwen3-235b-a22b__nvidia-b200__gpqa.toml --model Qwen3-235B-A22B --accelerator nvidia-b200
# GPT-OSS was measured on gpqa only.
imp openai__gpt-oss-20b__gpqa.json gpt-oss-20b__nvidia-h100__gpqa.toml --model GPT-OSS-20B --accelerator nvidia-h100 --default
# Outlier: cap 384 reports 16,091 tokens/s between 8,164 (cap 256) and 11,482 (cap 512).
imp openai__gpt-oss-20b__gpqa.json gpt-oss-20b__nvidia-b200__gpqa.toml --model GPT-OSS-20B --accelerator nvidia-b200 --default --skip-caps 384
# GPT-OSS-120B on one H100 was measured at 4 caps (up to 64): 2 x H100 (14 caps) is used.
imp openai__gpt-oss-120b__gpqa.json gpt-oss-120b__nvidia-h100__gpqa.toml --model GPT-OSS-120B --accelerator nvidia-h100 --gpus 2 --default
imp openai__gpt-oss-120b__gpqa.json gpt-oss-120b__nvidia-b200__gpqa.toml --model GPT-OSS-120B --accelerator nvidia-b200 --default
# Llama 3.1 was measured on lm-arena-chat only.
imp meta-llama__Llama-3.1-8B-Instruct__lm-arena-chat.json llama-3.1-8b__nvidia-h100__lm-arena-chat.toml --model Llama-3.1-8B --accelerator nvidia-h100 --default
# Outlier: cap 128 reports 4,570 tokens/s at 449 W, below cap 64's 5,589 tokens/s.
imp meta-llama__Llama-3.1-8B-Instruct__lm-arena-chat.json llama-3.1-8b__nvidia-b200__lm-arena-chat.toml --model Llama-3.1-8B --accelerator nvidia-b200 --default --skip-caps 128
imp meta-llama__Llama-3.1-70B-Instruct__lm-arena-chat.json llama-3.1-70b__nvidia-h100__lm-arena-chat.toml --model Llama-3.1-70B --accelerator nvidia-h100 --default
imp meta-llama__Llama-3.1-70B-Instruct__lm-arena-chat.json llama-3.1-70b__nvidia-b200__lm-arena-chat.toml --model Llama-3.1-70B --accelerator nvidia-b200 --default
