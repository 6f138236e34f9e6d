//! A check of a Parquet file's page headers, run before polars decodes the file.
//!
//! polars trusts the value count a data page's header claims: it reserves a validity bitmap
//! (and value buffers) of that many entries before it looks at the page's bytes. A corrupt
//! count (a negative `num_values`, which polars reads as `2^64 - n`, or one larger than its
//! column chunk) therefore asks the allocator for up to 2^61 bytes, and a failed allocation
//! aborts the process: there is no panic to contain (see [`crate::contain`]). A fuzzed trace
//! file found it (`tests/fuzz_parsers.rs`, `a_corrupt_parquet_file_is_an_error`).
//!
//! Trace files (`trace::reader`) and the result tables `ipw-sim plot` reads are checked.
//!
//! So, for every column chunk ipw-sim is about to read, the page headers are read here first
//! (the same Thrift structures polars reads, from the same bytes) and their counts and sizes
//! checked against what the footer says the chunk holds:
//! * the chunk lies inside the file and holds between 0 and the row group's rows values
//!   (trace columns are flat: one value, or null, per row);
//! * each page's bytes lie inside the chunk, and its sizes are not negative;
//! * a data page holds between 0 and the chunk's remaining values (and a v2 page no more nulls
//!   or rows than values);
//! * a dictionary page holds no more entries than its bytes can (a PLAIN entry takes at least
//!   one bit);
//! * for fixed-width columns, a page's uncompressed size is no more than its values could
//!   need (twice the width per value, for delta encodings, plus levels and headers): this
//!   bounds the buffer a compressed page is decompressed into.
//!
//! Anything else polars checks itself and reports as an error. Byte-array (string) pages
//! under codecs of unbounded ratio (zstd, brotli) can still claim up to 2 GiB uncompressed;
//! that allocation succeeds or fails as a normal out-of-memory, not on a wrapped count.

use polars_parquet::parquet::metadata::FileMetadata;
use polars_parquet::parquet::schema::types::PhysicalType;
use polars_parquet_format::thrift::protocol::TCompactInputProtocol;
use polars_parquet_format::{PageHeader, PageType};
use std::io::{Read, Seek, SeekFrom};

/// Read `path`'s footer and check the page headers of every column (see [`check_pages`]).
pub fn check_file(path: &std::path::Path) -> Result<(), String> {
    use polars::prelude::{ParquetReader, SerReader};
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let meta = ParquetReader::new(file)
        .get_metadata()
        .map_err(|e| e.to_string())?
        .clone();
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    check_pages(&mut file, &meta, None)
}

/// Check the page headers of the column chunks of `columns` (top-level names; `None`: every
/// column) in `file`, whose footer is `meta`. `Err` says what is wrong, in words, without the
/// path.
pub fn check_pages(
    file: &mut std::fs::File,
    meta: &FileMetadata,
    columns: Option<&[String]>,
) -> Result<(), String> {
    let file_len = file
        .seek(SeekFrom::End(0))
        .map_err(|e| format!("cannot measure the file: {e}"))?;
    for (g, group) in meta.row_groups.iter().enumerate() {
        let rows = group.num_rows() as u64;
        for chunk in group.parquet_columns() {
            let descriptor = chunk.descriptor();
            let Some(name) = descriptor.path_in_schema.first() else {
                continue;
            };
            if columns.is_some_and(|cs| !cs.iter().any(|c| c.as_str() == name.as_str())) {
                continue;
            }
            let at = |what: String| format!("row group {g}, column `{name}`: {what}");
            let values = chunk.num_values();
            if values < 0 || values as u64 > rows {
                return Err(at(format!(
                    "the footer says the column chunk holds {values} values, expected 0 to the row group's {rows} rows"
                )));
            }
            let range = chunk.byte_range();
            if range.start > range.end || range.end > file_len {
                return Err(at(format!(
                    "the column chunk's bytes {}..{} are not inside the file ({file_len} bytes)",
                    range.start, range.end
                )));
            }
            let mut bytes = vec![0u8; (range.end - range.start) as usize];
            file.seek(SeekFrom::Start(range.start))
                .and_then(|_| file.read_exact(&mut bytes))
                .map_err(|e| at(format!("cannot read the column chunk: {e}")))?;
            let width = fixed_width(descriptor.descriptor.primitive_type.physical_type);
            check_chunk(&bytes, values as u64, width).map_err(at)?;
        }
    }
    Ok(())
}

/// The bytes a value of a fixed-width physical type takes (`None`: byte arrays).
fn fixed_width(t: PhysicalType) -> Option<u64> {
    match t {
        PhysicalType::Boolean => Some(1),
        PhysicalType::Int32 | PhysicalType::Float => Some(4),
        PhysicalType::Int64 | PhysicalType::Double => Some(8),
        PhysicalType::Int96 => Some(12),
        PhysicalType::FixedLenByteArray(n) => Some(n as u64),
        PhysicalType::ByteArray => None,
    }
}

/// Slack for level encodings' and page headers' own bytes, on top of the values.
const PAGE_SLACK: u64 = 1024;

/// Walk the pages of one column chunk (`bytes`) that should hold `values` values, as polars'
/// page reader does: page after page until the data pages' values add up.
fn check_chunk(bytes: &[u8], values: u64, width: Option<u64>) -> Result<(), String> {
    let mut cursor = std::io::Cursor::new(bytes);
    let mut seen: u64 = 0;
    let mut page = 0usize;
    while seen < values {
        let left = bytes.len() - cursor.position() as usize;
        if left == 0 {
            // polars reports a chunk that ends early itself.
            return Ok(());
        }
        let header = {
            let mut protocol = TCompactInputProtocol::new(&mut cursor, left);
            PageHeader::read_from_in_protocol(&mut protocol)
                .map_err(|e| format!("page {page}: unreadable page header ({e})"))?
        };
        let (compressed, uncompressed) =
            (header.compressed_page_size, header.uncompressed_page_size);
        let left = (bytes.len() - cursor.position() as usize) as u64;
        if compressed < 0 || compressed as u64 > left {
            return Err(format!(
                "page {page}: the header says {compressed} bytes follow, expected 0 to the chunk's remaining {left}"
            ));
        }
        if uncompressed < 0 {
            return Err(format!(
                "page {page}: negative uncompressed size {uncompressed}"
            ));
        }
        let count = |n: i32, what: &str, most: u64| -> Result<u64, String> {
            if n < 0 || n as u64 > most {
                Err(format!(
                    "page {page}: the header says it holds {n} {what}, expected 0 to {most}"
                ))
            } else {
                Ok(n as u64)
            }
        };
        let data_values = match header.type_ {
            PageType::DATA_PAGE => header.data_page_header.as_ref().map(|h| h.num_values),
            PageType::DATA_PAGE_V2 => {
                if let Some(h) = &header.data_page_header_v2 {
                    let n = count(h.num_values, "values", values - seen)?;
                    count(h.num_nulls, "nulls", n)?;
                    count(h.num_rows, "rows", n)?;
                    let levels = i64::from(h.definition_levels_byte_length)
                        + i64::from(h.repetition_levels_byte_length);
                    if h.definition_levels_byte_length < 0
                        || h.repetition_levels_byte_length < 0
                        || levels > i64::from(compressed)
                    {
                        return Err(format!(
                            "page {page}: level lengths {} + {} are not inside the page's {compressed} bytes",
                            h.definition_levels_byte_length, h.repetition_levels_byte_length
                        ));
                    }
                }
                header.data_page_header_v2.as_ref().map(|h| h.num_values)
            }
            PageType::DICTIONARY_PAGE => {
                if let Some(h) = &header.dictionary_page_header {
                    let most = 8 * uncompressed as u64 + 8;
                    let n = count(h.num_values, "dictionary entries", most)?;
                    bound_uncompressed(page, uncompressed, n, width)?;
                }
                None
            }
            _ => None,
        };
        if let Some(n) = data_values {
            let n = count(n, "values", values - seen)?;
            bound_uncompressed(page, uncompressed, n, width)?;
            seen += n;
        }
        cursor.set_position(cursor.position() + compressed as u64);
        page += 1;
    }
    Ok(())
}

/// A fixed-width page of `n` values cannot need more than twice their width each (delta
/// encodings of extreme values), plus the levels and a slack.
fn bound_uncompressed(
    page: usize,
    uncompressed: i32,
    n: u64,
    width: Option<u64>,
) -> Result<(), String> {
    let Some(w) = width else {
        return Ok(());
    };
    let most = n * (2 * w + 1) + PAGE_SLACK;
    if uncompressed as u64 > most {
        return Err(format!(
            "page {page}: the header says it decompresses to {uncompressed} bytes, more than its {n} values of {w} bytes can take ({most})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_parquet_format::thrift::protocol::TCompactOutputProtocol;
    use polars_parquet_format::{DataPageHeader, DictionaryPageHeader, Encoding};

    /// A column chunk of data pages, one per `(num_values, uncompressed size, body bytes)`,
    /// with an optional dictionary page `(entries, bytes)` first.
    fn chunk(dict: Option<(i32, i32)>, pages: &[(i32, i32, usize)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut write = |header: PageHeader, body: usize| {
            let mut protocol = TCompactOutputProtocol::new(&mut out);
            header.write_to_out_protocol(&mut protocol).expect("write");
            out.extend(std::iter::repeat_n(0u8, body));
        };
        if let Some((entries, size)) = dict {
            let h = DictionaryPageHeader::new(entries, Encoding::PLAIN, None);
            write(
                PageHeader::new(
                    PageType::DICTIONARY_PAGE,
                    size,
                    size,
                    None,
                    None,
                    None,
                    h,
                    None,
                ),
                size as usize,
            );
        }
        for &(n, uncompressed, body) in pages {
            let h = DataPageHeader::new(n, Encoding::PLAIN, Encoding::RLE, Encoding::RLE, None);
            let header = PageHeader::new(
                PageType::DATA_PAGE,
                uncompressed,
                body as i32,
                None,
                h,
                None,
                None,
                None,
            );
            write(header, body);
        }
        out
    }

    #[test]
    fn pages_whose_counts_add_up_to_the_chunk_pass() {
        // Two int64 pages of 3 and 2 values (8 bytes each, plus 6 bytes of levels).
        let bytes = chunk(None, &[(3, 30, 30), (2, 22, 22)]);
        assert_eq!(check_chunk(&bytes, 5, Some(8)), Ok(()));
        // A dictionary of 2 strings, then one page of 4 indices.
        let bytes = chunk(Some((2, 10)), &[(4, 8, 8)]);
        assert_eq!(check_chunk(&bytes, 4, None), Ok(()));
    }

    #[test]
    fn a_negative_value_count_is_refused_before_polars_reserves_for_it() {
        let bytes = chunk(None, &[(-1, 30, 30)]);
        let err = check_chunk(&bytes, 5, Some(8)).unwrap_err();
        assert_eq!(
            err,
            "page 0: the header says it holds -1 values, expected 0 to 5"
        );
    }

    #[test]
    fn a_page_with_more_values_than_the_chunk_has_left_is_refused() {
        // 3 values, then a page claiming 3 of the 2 left.
        let bytes = chunk(None, &[(3, 30, 30), (3, 30, 30)]);
        let err = check_chunk(&bytes, 5, Some(8)).unwrap_err();
        assert_eq!(
            err,
            "page 1: the header says it holds 3 values, expected 0 to 2"
        );
    }

    #[test]
    fn a_page_whose_bytes_run_past_the_chunk_is_refused() {
        let mut bytes = chunk(None, &[(3, 30, 30)]);
        bytes.truncate(bytes.len() - 1);
        let err = check_chunk(&bytes, 3, Some(8)).unwrap_err();
        assert!(
            err.starts_with(
                "page 0: the header says 30 bytes follow, expected 0 to the chunk's remaining 29"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_fixed_width_page_claiming_more_bytes_than_its_values_take_is_refused() {
        // 3 int64 values take at most 3 * (2 * 8 + 1) + 1024 = 1075 bytes.
        assert_eq!(
            check_chunk(&chunk(None, &[(3, 1075, 30)]), 3, Some(8)),
            Ok(())
        );
        let err = check_chunk(&chunk(None, &[(3, 1076, 30)]), 3, Some(8)).unwrap_err();
        assert!(
            err.ends_with("more than its 3 values of 8 bytes can take (1075)"),
            "{err}"
        );
        // Strings have no such bound.
        assert_eq!(
            check_chunk(&chunk(None, &[(3, 1 << 20, 30)]), 3, None),
            Ok(())
        );
    }

    #[test]
    fn a_dictionary_with_more_entries_than_its_bytes_hold_is_refused() {
        // 10 bytes hold at most 8 * 10 + 8 = 88 one-bit entries.
        let ok = chunk(Some((88, 10)), &[(1, 8, 8)]);
        assert_eq!(check_chunk(&ok, 1, None), Ok(()));
        let bad = chunk(Some((89, 10)), &[(1, 8, 8)]);
        assert_eq!(
            check_chunk(&bad, 1, None).unwrap_err(),
            "page 0: the header says it holds 89 dictionary entries, expected 0 to 88"
        );
    }
}
