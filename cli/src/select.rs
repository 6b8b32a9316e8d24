//! `--fields`: which columns `dump` and `export` write, in the order given.
//!
//! Each name is a field (`color`: all its elements), a struct prefix
//! (`position`: every field `position.*`, in schema order) or one element
//! (`color[1]`). A column chosen twice is refused rather than written twice.

use crate::columns::Column;
use recstore::Schema;

/// The columns `names` select, in the order given; the error says what is
/// wrong and lists the fields.
pub fn columns(schema: &Schema, names: &[String]) -> Result<Vec<Column>, String> {
    let data = || {
        schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.is_padding())
    };
    let all_of = |i: usize| {
        let f = &schema.fields()[i];
        (0..f.elements()).map(move |e| Column {
            name: if f.elements() == 1 {
                f.name().to_string()
            } else {
                format!("{}[{e}]", f.name())
            },
            field: i,
            element: e,
        })
    };
    let known = || data().map(|(_, f)| f.name()).collect::<Vec<_>>().join(", ");
    let mut out: Vec<Column> = Vec::new();
    for name in names {
        let mut chosen: Vec<Column> = Vec::new();
        if let Some((i, _)) = data().find(|(_, f)| f.name() == name) {
            chosen.extend(all_of(i));
        } else if let Some(element) = element_of(name) {
            let (base, e) = element.map_err(|m| format!("--fields {name:?}: {m}"))?;
            let (i, f) = data().find(|(_, f)| f.name() == base).ok_or_else(|| {
                format!(
                    "no field {base:?} (in {name:?}); the fields are {}",
                    known()
                )
            })?;
            if e >= f.elements() {
                return Err(format!(
                    "{name:?} is past the end of {base} ({} elements, indices 0..{})",
                    f.elements(),
                    f.elements()
                ));
            }
            chosen.extend(all_of(i).nth(e as usize));
        } else {
            let prefix = format!("{name}.");
            for (i, _) in data().filter(|(_, f)| f.name().starts_with(&prefix)) {
                chosen.extend(all_of(i));
            }
            if chosen.is_empty() {
                return Err(format!("no field {name:?}; the fields are {}", known()));
            }
        }
        for c in chosen {
            if out
                .iter()
                .any(|o| o.field == c.field && o.element == c.element)
            {
                return Err(format!(
                    "column {} is chosen twice in --fields (by {name:?}); name each column once",
                    c.name
                ));
            }
            out.push(c);
        }
    }
    Ok(out)
}

/// `name[i]` split into the field name and the index, if `name` has that
/// shape; an index that is not a number is an error.
fn element_of(name: &str) -> Option<Result<(&str, u64), String>> {
    let open = name.rfind('[')?;
    let inner = name[open + 1..].strip_suffix(']')?;
    Some(
        inner
            .parse::<u64>()
            .map(|e| (&name[..open], e))
            .map_err(|_| format!("{inner:?} is not an element index")),
    )
}

/// One column of the table (or one key of a JSON object): a whole field, or
/// one element of a field not selected whole.
pub struct Group {
    /// The heading: the field name, or `name[i]` for a lone element.
    pub name: String,
    /// The columns it covers (a range of the selection).
    pub columns: std::ops::Range<usize>,
    /// Shown as `[a, b, c]`: the whole of a field of several elements.
    pub array: bool,
}

/// Groups consecutive columns that make up a whole field.
pub fn groups(schema: &Schema, cols: &[Column]) -> Vec<Group> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < cols.len() {
        let f = &schema.fields()[cols[i].field];
        let run = cols[i..]
            .iter()
            .take_while(|c| c.field == cols[i].field)
            .count();
        let whole = run as u64 == f.elements()
            && cols[i..i + run]
                .iter()
                .enumerate()
                .all(|(k, c)| c.element == k as u64);
        if whole {
            out.push(Group {
                name: f.name().to_string(),
                columns: i..i + run,
                array: f.elements() > 1,
            });
        } else {
            for (k, c) in cols.iter().enumerate().skip(i).take(run) {
                out.push(Group {
                    name: c.name.clone(),
                    columns: k..k + 1,
                    array: false,
                });
            }
        }
        i += run;
    }
    out
}
