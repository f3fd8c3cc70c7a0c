//! Loader for the UCI Online Retail CSV (gzip): invoice lines of a UK gift wholesaler.
//!
//! Each invoice line with a customer becomes a purchase of the stock code. Cancellations (`C`
//! invoices), lines without a customer and codes that are not products (postage, fees,
//! manual adjustments, gift vouchers) are skipped; so are consecutive repeats of an item in
//! a customer's sequence (the same code on several lines of one invoice, or bought again
//! next), which would otherwise make "buy the same again" the easiest prediction.

use std::path::Path;

use tastebud::{EventKind, Item};

use super::{
    check_item_id, days_from_civil, sha256_of, DataError, Dataset, Provenance, SequenceBuilder,
    SkipExamples, Skips, TextFile,
};

/// Stock codes that are charges or bookkeeping, not products (upper-cased).
const NON_PRODUCT_CODES: [&str; 10] = [
    "POST",
    "DOT",
    "C2",
    "M",
    "D",
    "S",
    "B",
    "CRUK",
    "BANK CHARGES",
    "AMAZONFEE",
];

/// Columns read, by header name.
const COLUMNS: [&str; 7] = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
];

pub(super) fn load(path: &Path) -> Result<(Dataset, SkipExamples), DataError> {
    let text = TextFile::open(path, true)?;
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.reader);
    let headers = csv
        .byte_headers()
        .map_err(|e| csv_error(path, 1, e))?
        .clone();
    let mut col = [0usize; COLUMNS.len()];
    for (slot, name) in col.iter_mut().zip(COLUMNS) {
        *slot = headers
            .iter()
            .position(|h| h.trim_ascii() == name.as_bytes())
            .ok_or_else(|| DataError::Invalid {
                path: path.to_owned(),
                line: 1,
                what: format!("missing column {name:?} (expected the UCI Online Retail header)"),
            })?;
    }
    let width = col.iter().max().map_or(0, |m| m + 1);

    let mut skips = Skips::default();
    let mut builder = SequenceBuilder::default();
    // Per builder item index: the cleaned descriptions with counts, and the positive prices.
    let mut descriptions: Vec<Vec<(String, usize)>> = Vec::new();
    let mut prices: Vec<Vec<f32>> = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut line = 1u64;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(path, line + 1, e)),
        }
        line = record.position().map_or(line + 1, |p| p.line());
        if record.len() < width {
            skips.row("wrong number of fields", path, line);
            continue;
        }
        let mut fields = [""; COLUMNS.len()];
        let mut utf8 = true;
        for (field, &c) in fields.iter_mut().zip(&col) {
            match std::str::from_utf8(&record[c]) {
                Ok(s) => *field = s.trim(),
                Err(_) => utf8 = false,
            }
        }
        if !utf8 {
            skips.row("invalid UTF-8", path, line);
            continue;
        }
        let [invoice, code, description, quantity, date, price, customer] = fields;
        let row = Row {
            invoice,
            code,
            description,
            quantity,
            date,
            price,
            customer,
        };
        let parsed = match row.parse() {
            Ok(p) => p,
            Err(reason) => {
                skips.row(reason, path, line);
                continue;
            }
        };
        let item = builder.item(&parsed.code);
        if item as usize == descriptions.len() {
            descriptions.push(Vec::new());
            prices.push(Vec::new());
        }
        if let Some(d) = clean_description(row.description) {
            let seen = &mut descriptions[item as usize];
            match seen.iter_mut().find(|(s, _)| *s == d) {
                Some((_, n)) => *n += 1,
                None => seen.push((d, 1)),
            }
        }
        if parsed.price > 0.0 && parsed.price.is_finite() {
            prices[item as usize].push(parsed.price);
        }
        builder.push(
            &parsed.customer,
            item,
            EventKind::Purchase,
            parsed.ts * 1000,
            line,
        );
    }

    let seqs = builder.finish(0, path, &mut skips);
    seqs.require_users(path)?;
    let items = seqs
        .kept_items
        .iter()
        .map(|&old| {
            let old = old as usize;
            let mut item = Item::new(seqs.item_ids[old].clone());
            // Most frequent description; the first seen wins a tie.
            let mut best: Option<&(String, usize)> = None;
            for d in &descriptions[old] {
                if best.is_none_or(|b| d.1 > b.1) {
                    best = Some(d);
                }
            }
            item.title = best.map(|(d, _)| d.clone());
            item.price = median(&mut prices[old]);
            item.validated().map_err(|e| DataError::Unusable {
                path: path.to_owned(),
                what: format!("item {:?}: {e}", seqs.item_ids[old]),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let provenance = Provenance {
        name: "Online Retail (UCI)".into(),
        source: "Chen, D. (2015). Online Retail [Dataset]. UCI Machine Learning Repository. \
                 https://doi.org/10.24432/C5BW33"
            .into(),
        license: "CC BY 4.0".into(),
        sha256: sha256_of(&[path])?,
    };
    let dataset = Dataset {
        name: "online-retail".into(),
        items,
        users: seqs.users,
        sequences: seqs.sequences,
        mask_history: false,
        provenance,
        skipped: skips.counts,
    };
    Ok((dataset, skips.first))
}

/// The columns of one CSV row, trimmed.
struct Row<'a> {
    invoice: &'a str,
    code: &'a str,
    description: &'a str,
    quantity: &'a str,
    date: &'a str,
    price: &'a str,
    customer: &'a str,
}

/// A row that describes a purchase.
struct Purchase {
    customer: String,
    code: String,
    ts: i64,
    price: f32,
}

impl Row<'_> {
    /// The purchase this row records, or why it is skipped.
    fn parse(&self) -> Result<Purchase, &'static str> {
        if self.invoice.starts_with(['C', 'c']) {
            return Err("cancellation");
        }
        if self.customer.is_empty() {
            return Err("no customer id");
        }
        let code = self.code.to_ascii_uppercase();
        if NON_PRODUCT_CODES.contains(&code.as_str()) || code.starts_with("GIFT_") {
            return Err("non-product code");
        }
        check_item_id(&code)?;
        let quantity: i64 = self.quantity.parse().map_err(|_| "malformed quantity")?;
        if quantity <= 0 {
            return Err("non-positive quantity");
        }
        let ts = parse_datetime(self.date).ok_or("malformed date")?;
        let price: f32 = self.price.parse().map_err(|_| "malformed price")?;
        Ok(Purchase {
            customer: customer_id(self.customer),
            code,
            ts,
            price,
        })
    }
}

/// `17850.0` → `17850`: the file writes the integer ids as floats.
fn customer_id(raw: &str) -> String {
    match raw.strip_suffix(".0") {
        Some(int) if !int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()) => int.to_owned(),
        _ => raw.to_owned(),
    }
}

/// Seconds since the epoch of `YYYY-MM-DD HH:MM[:SS]` (or with `T`), read as UTC.
fn parse_datetime(s: &str) -> Option<i64> {
    let (date, time) = s.split_once([' ', 'T'])?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.trim().splitn(3, ':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let second: i64 = t.next().map_or(Some(0), |s| s.parse().ok())?;
    let valid = (1..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second);
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// A description fit for a title: whitespace collapsed; notes such as `damaged`, `?` or
/// `ebay` (no capital letter; product names are upper-case) are not.
fn clean_description(raw: &str) -> Option<String> {
    let cleaned = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    cleaned
        .bytes()
        .any(|b| b.is_ascii_uppercase())
        .then_some(cleaned)
}

/// The median of the values (mean of the middle two for an even count), if any.
fn median(values: &mut [f32]) -> Option<f32> {
    values.sort_by(f32::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn csv_error(path: &Path, line: u64, e: csv::Error) -> DataError {
    let line = e.position().map_or(line, |p| p.line());
    DataError::Read {
        path: path.to_owned(),
        line,
        source: std::io::Error::other(e),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const HEADER: &str =
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

    fn write_gz(dir: &Path, name: &str, csv: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        gz.write_all(csv.as_bytes()).unwrap();
        gz.finish().unwrap();
        path
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tastebud-or-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Five purchases of customer 17850 (one repeated line) plus the file's other quirks.
    fn sample() -> String {
        let mut csv = HEADER.to_owned();
        let lines = [
            "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
            "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
            "536365,71053,WHITE METAL LANTERN,2,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
            "536366,22633,HAND WARMER UNION JACK,six,2010-12-01 08:28:00,1.85,17850.0,United Kingdom",
            "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom",
            "536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom",
            "536370,POST,POSTAGE,3,2010-12-01 08:45:00,18,17850.0,United Kingdom",
            // Out of time order within the day: sorted by time, it comes before 536367.
            "536368,84029g,  KNITTED UNION FLAG   HOT WATER BOTTLE ,6,2010-12-01 08:20:00,3.39,17850.0,United Kingdom",
            "536367,84406B,CREAM CUPID HEARTS COAT HANGER,8,2010-12-01 08:30:00,2.75,17850.0,United Kingdom",
            "536369,84879,ASSORTED COLOUR BIRD ORNAMENT,32,2010-12-01 08:34:00,1.69,17850.0,United Kingdom",
            "536371,84879,damaged,1,2010-12-02 08:34:00,1.69,17850.0,United Kingdom",
        ];
        for l in lines {
            csv.push_str(l);
            csv.push('\n');
        }
        csv
    }

    #[test]
    fn bad_rows_are_skipped_counted_and_located() {
        let dir = temp_dir("bad-rows");
        let path = write_gz(&dir, "retail.csv.gz", &sample());
        let (ds, first) = load(&path).unwrap();
        let at = |line: u64| format!("{}:{line}", path.display());
        assert_eq!(ds.skipped["malformed quantity"], 1);
        assert_eq!(first["malformed quantity"], at(5));
        assert_eq!(ds.skipped["cancellation"], 1);
        assert_eq!(first["cancellation"], at(6));
        assert_eq!(ds.skipped["no customer id"], 1);
        assert_eq!(first["no customer id"], at(7));
        assert_eq!(ds.skipped["non-product code"], 1);
        assert_eq!(first["non-product code"], at(8));
        // The repeated lantern line, and 84879 bought twice in a row.
        assert_eq!(ds.skipped["consecutive repeat"], 2);
        assert_eq!(first["consecutive repeat"], at(4));

        assert_eq!(ds.users, ["17850"]);
        let ids: Vec<&str> = ds.sequences[0]
            .iter()
            .map(|e| ds.items[e.item as usize].id.as_str())
            .collect();
        assert_eq!(ids, ["84029G", "85123A", "71053", "84406B", "84879"]);
        assert_eq!(ds.sequences[0][1].ts_ms, 1_291_191_960_000);
        let bottle = &ds.items[ds.sequences[0][0].item as usize];
        assert_eq!(
            bottle.title.as_deref(),
            Some("KNITTED UNION FLAG HOT WATER BOTTLE")
        );
        assert_eq!(bottle.price, Some(3.39));
        // "damaged" is a note, not a title.
        let ornament = &ds.items[ds.sequences[0][4].item as usize];
        assert_eq!(
            ornament.title.as_deref(),
            Some("ASSORTED COLOUR BIRD ORNAMENT")
        );
        assert!(!ds.mask_history);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_that_is_not_gzip_is_a_clear_error() {
        let dir = temp_dir("not-gzip");
        let path = dir.join("retail.csv.gz");
        std::fs::write(&path, sample()).unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, DataError::NotGzip { .. }), "{err}");
        assert!(
            err.to_string().contains("retail.csv.gz: not a gzip file"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_column_names_the_file_and_the_column() {
        let dir = temp_dir("missing-column");
        let path = write_gz(
            &dir,
            "retail.csv.gz",
            "InvoiceNo,StockCode,Quantity\n1,2,3\n",
        );
        let err = load(&path).unwrap_err().to_string();
        assert!(
            err.contains("retail.csv.gz:1: missing column \"Description\""),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn float_customer_ids_and_dates_are_read() {
        assert_eq!(customer_id("17850.0"), "17850");
        assert_eq!(customer_id("A17"), "A17");
        assert_eq!(parse_datetime("2010-12-01 08:26:00"), Some(1_291_191_960));
        assert_eq!(parse_datetime("2010-12-01 08:26"), Some(1_291_191_960));
        assert_eq!(parse_datetime("2010-13-01 08:26:00"), None);
        assert_eq!(parse_datetime("12/1/2010 8:26"), None);
        assert_eq!(parse_datetime("99999999999999-01-01 00:00"), None);
    }
}
