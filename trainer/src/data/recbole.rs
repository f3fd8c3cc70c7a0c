//! Loader for RecBole atomic files: `<name>.inter` (tab-separated interactions) and optionally
//! `<name>.item` (item features), as RecBole ships MovieLens 100K.
//!
//! Columns are found by field name (`user_id:token` → `user_id`), never by position. Every
//! interaction counts as a positive one (a view); ratings are ignored. Fields read from
//! `.item`: `movie_title`/`title` (title), `class`/`genre`/`categories` (tags; the first one is
//! the category), `release_year`/`year` (a decade tag such as `1990s`), `brand` and `price`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tastebud::{EventKind, Item};

use super::{
    check_item_id, sha256_of, DataError, Dataset, Provenance, SequenceBuilder, SkipExamples, Skips,
    TextFile,
};

pub(super) fn load(path: &Path) -> Result<(Dataset, SkipExamples), DataError> {
    let (name, inter_path) = find_inter(path)?;
    let item_path = inter_path.with_extension("item");
    let item_path = item_path.is_file().then_some(item_path);

    let mut skips = Skips::default();
    let mut builder = SequenceBuilder::default();
    let mut columns = None;
    TextFile::open(&inter_path, false)?.for_each_line(&mut skips, |skips, line, text| {
        let Some(c) = &columns else {
            let header = Header::parse(text);
            columns = Some(InterColumns {
                user: header.require(&["user_id"], &inter_path)?,
                item: header.require(&["item_id"], &inter_path)?,
                time: header.find(&["timestamp"]),
            });
            return Ok(());
        };
        if text.trim().is_empty() {
            return Ok(());
        }
        let fields: Vec<&str> = text.split('\t').collect();
        let field = |i: usize| fields.get(i).map(|f| f.trim());
        let (Some(user), Some(item)) = (field(c.user), field(c.item)) else {
            skips.row("wrong number of fields", &inter_path, line);
            return Ok(());
        };
        if user.is_empty() {
            skips.row("missing user id", &inter_path, line);
            return Ok(());
        }
        if let Err(reason) = check_item_id(item) {
            skips.row(reason, &inter_path, line);
            return Ok(());
        }
        // Without a timestamp column the file order is the time order.
        let ts_ms = match c.time.map(|t| field(t).and_then(parse_seconds)) {
            None => 0,
            Some(Some(ms)) => ms,
            Some(None) => {
                skips.row("malformed timestamp", &inter_path, line);
                return Ok(());
            }
        };
        let item = builder.item(item);
        builder.push(user, item, EventKind::View, ts_ms, line);
        Ok(())
    })?;

    let meta = match &item_path {
        Some(p) => read_items(p, &mut skips)?,
        None => HashMap::new(),
    };
    let seqs = builder.finish(0, &inter_path, &mut skips);
    seqs.require_users(&inter_path)?;
    let items = seqs
        .kept_items
        .iter()
        .map(|&old| {
            let id = &seqs.item_ids[old as usize];
            let item = meta
                .get(id)
                .cloned()
                .unwrap_or_else(|| Item::new(id.clone()));
            item.validated().map_err(|e| DataError::Unusable {
                path: item_path.clone().unwrap_or_else(|| inter_path.clone()),
                what: format!("item {id:?}: {e}"),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut files = vec![inter_path.as_path()];
    files.extend(item_path.as_deref());
    let provenance = provenance(&name, sha256_of(&files)?);
    let dataset = Dataset {
        name,
        items,
        users: seqs.users,
        sequences: seqs.sequences,
        mask_history: true,
        provenance,
        skipped: skips.counts,
    };
    Ok((dataset, skips.first))
}

/// The data set's name and its `.inter` file, given the directory or the file itself.
fn find_inter(path: &Path) -> Result<(String, PathBuf), DataError> {
    let unusable = |what: String| DataError::Unusable {
        path: path.to_owned(),
        what,
    };
    if !path.exists() {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory");
        return Err(DataError::Io {
            path: path.to_owned(),
            source,
        });
    }
    let inter = if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|source| DataError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| DataError::Io {
                path: path.to_owned(),
                source,
            })?;
            let p = entry.path();
            if p.extension().is_some_and(|e| e == "inter") && p.is_file() {
                found.push(p);
            }
        }
        found.sort();
        match found.len() {
            1 => found.remove(0),
            0 => return Err(unusable("no <name>.inter file in this directory".into())),
            _ => {
                let names: Vec<_> = found.iter().map(|p| p.display().to_string()).collect();
                return Err(unusable(format!(
                    "several .inter files ({}); pass one of them",
                    names.join(", ")
                )));
            }
        }
    } else if path.extension().is_some_and(|e| e == "inter") {
        path.to_owned()
    } else {
        return Err(unusable(
            "expected a directory holding <name>.inter, or the file".into(),
        ));
    };
    let name = inter
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok((name, inter))
}

/// Where the `.inter` columns are.
struct InterColumns {
    user: usize,
    item: usize,
    time: Option<usize>,
}

/// A RecBole header: field names without their `:type`.
struct Header(Vec<String>);

impl Header {
    fn parse(line: &str) -> Self {
        let names = line
            .split('\t')
            .map(|f| f.split(':').next().unwrap_or("").trim().to_owned());
        Header(names.collect())
    }

    /// The column of the first of `names` present.
    fn find(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.0.iter().position(|h| h == n))
    }

    fn require(&self, names: &[&str], path: &Path) -> Result<usize, DataError> {
        self.find(names).ok_or_else(|| DataError::Invalid {
            path: path.to_owned(),
            line: 1,
            what: format!(
                "missing field {:?} in the header (fields: {})",
                names[0],
                self.0.join(", ")
            ),
        })
    }
}

/// Epoch milliseconds of a timestamp in seconds (RecBole writes them as floats).
fn parse_seconds(s: &str) -> Option<i64> {
    let secs: f64 = s.parse().ok()?;
    let ms = (secs * 1000.0).round();
    (ms.is_finite() && ms.abs() < 9e15).then_some(ms as i64)
}

/// The items described in a `.item` file, by id.
fn read_items(path: &Path, skips: &mut Skips) -> Result<HashMap<String, Item>, DataError> {
    let mut items = HashMap::new();
    let mut header = None;
    TextFile::open(path, false)?.for_each_line(skips, |skips, line, text| {
        let Some(h) = &header else {
            let parsed = Header::parse(text);
            parsed.require(&["item_id"], path)?;
            header = Some(parsed);
            return Ok(());
        };
        if text.trim().is_empty() {
            return Ok(());
        }
        let fields: Vec<&str> = text.split('\t').map(str::trim).collect();
        if fields.len() != h.0.len() {
            skips.row("malformed .item row", path, line);
            return Ok(());
        }
        let get = |names: &[&str]| h.find(names).map(|i| fields[i]).filter(|f| !f.is_empty());
        let Some(id) = get(&["item_id"]) else {
            skips.row("malformed .item row", path, line);
            return Ok(());
        };
        let mut item = Item::new(id);
        item.title = get(&["movie_title", "title"]).map(str::to_owned);
        item.brand = get(&["brand"]).map(str::to_owned);
        item.price = get(&["price"])
            .and_then(|p| p.parse().ok())
            .filter(|p: &f32| *p >= 0.0);
        item.tags = get(&["class", "genre", "categories"])
            .map(|g| g.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default();
        item.category = item.tags.first().cloned();
        if let Some(year) = get(&["release_year", "year"]).and_then(|y| y.parse::<i32>().ok()) {
            item.tags.push(format!("{}s", year.div_euclid(10) * 10));
        }
        items.entry(id.to_owned()).or_insert(item);
        Ok(())
    })?;
    Ok(items)
}

fn provenance(name: &str, sha256: String) -> Provenance {
    if name == "ml-100k" {
        Provenance {
            name: "MovieLens 100K".into(),
            source: "GroupLens Research, https://grouplens.org/datasets/movielens/100k/ \
                     (F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: \
                     History and Context. ACM TiiS 5, 4, Article 19); RecBole atomic files from \
                     the recbole 1.2.1 wheel"
                .into(),
            license: "research use; redistribution not permitted".into(),
            sha256,
        }
    } else {
        Provenance {
            name: name.to_owned(),
            source: format!("RecBole atomic files {name}.inter / {name}.item"),
            license: "unknown: see the data set's own terms".into(),
            sha256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_by_name_and_items_get_genres_and_decade() {
        let dir = std::env::temp_dir().join(format!("tastebud-recbole-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Columns in an unusual order; user 2 rates five movies, two of them in the same second.
        let mut inter =
            String::from("timestamp:float\trating:float\titem_id:token\tuser_id:token\n");
        for (ts, item) in [(50, 3), (10, 1), (30, 2), (30, 4), (90, 5)] {
            inter.push_str(&format!("{ts}\t4\t{item}\t2\n"));
        }
        inter.push_str("70\t4\t1\n");
        std::fs::write(dir.join("tiny.inter"), inter).unwrap();
        std::fs::write(
            dir.join("tiny.item"),
            "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
             1\tToy Story\t1995\tAnimation Children's Comedy\n\
             2\tGoldenEye\t1995\tAction Adventure Thriller\n",
        )
        .unwrap();
        let (ds, first) = load(&dir).unwrap();
        assert_eq!(ds.name, "tiny");
        assert!(ds.mask_history);
        assert_eq!(ds.skipped["wrong number of fields"], 1);
        assert_eq!(
            first["wrong number of fields"],
            format!("{}:7", dir.join("tiny.inter").display())
        );
        let ids: Vec<&str> = ds.sequences[0]
            .iter()
            .map(|e| ds.items[e.item as usize].id.as_str())
            .collect();
        assert_eq!(ids, ["1", "2", "4", "3", "5"]);
        let toy = &ds.items[ds.sequences[0][0].item as usize];
        assert_eq!(toy.title.as_deref(), Some("Toy Story"));
        assert_eq!(toy.category.as_deref(), Some("Animation"));
        assert_eq!(toy.tags, ["Animation", "Children's", "Comedy", "1990s"]);
        // Item 5 has no row in tiny.item: id only.
        assert_eq!(ds.items[ds.sequences[0][4].item as usize], Item::new("5"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
