//! Renders the results as a plain-text or Markdown table, followed by notes:
//! what each column ran, what `×` means, and why any cell failed.

use crate::bench::{Benchmark, Column};

pub struct Row<'a> {
    pub bench: &'a Benchmark,
    /// One per column; column 0 is native.
    pub cells: Vec<Result<f64, String>>,
}

pub fn render(columns: &[Column], rows: &[Row], markdown: bool) -> String {
    let mut header = vec![
        "benchmark".to_string(),
        "unit".to_string(),
        columns[0].label.clone(),
    ];
    for col in &columns[1..] {
        header.push(col.label.clone());
        header.push("×".to_string());
    }
    let body: Vec<Vec<String>> = rows.iter().map(|row| cells(row)).collect();

    let mut out = if markdown {
        markdown_table(&header, &body)
    } else {
        text_table(&header, &body)
    };
    out.push('\n');
    out.push_str(&notes(columns, rows, markdown));
    out
}

fn cells(row: &Row) -> Vec<String> {
    let mut line = vec![row.bench.name.to_string(), row.bench.unit.to_string()];
    let native = row.cells[0].as_ref().ok().copied();
    line.push(value_cell(&row.cells[0]));
    for cell in &row.cells[1..] {
        line.push(value_cell(cell));
        line.push(match (native, cell) {
            (Some(n), Ok(v)) if n > 0.0 && *v > 0.0 => {
                let slowdown = if row.bench.higher_is_better() {
                    n / v
                } else {
                    v / n
                };
                format!("{}×", ratio(slowdown))
            }
            _ => "-".to_string(),
        });
    }
    line
}

fn value_cell(cell: &Result<f64, String>) -> String {
    match cell {
        Ok(v) => value(*v),
        Err(_) => "fail".to_string(),
    }
}

/// About three significant digits, never hiding integer digits.
fn value(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        a if a >= 1.0 => format!("{v:.2}"),
        _ => format!("{v:.3}"),
    }
}

fn ratio(r: f64) -> String {
    match r {
        r if r >= 100.0 => format!("{r:.0}"),
        r if r >= 10.0 => format!("{r:.1}"),
        _ => format!("{r:.2}"),
    }
}

/// Whether column `i` holds text (left-aligned) rather than numbers.
fn is_text(i: usize) -> bool {
    i < 2
}

fn text_table(header: &[String], body: &[Vec<String>]) -> String {
    let width = |i: usize| {
        body.iter()
            .map(|r| r[i].chars().count())
            .chain([header[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let pad = " ".repeat(widths[i] - c.chars().count());
                if is_text(i) {
                    format!("{c}{pad}")
                } else {
                    format!("{pad}{c}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    for row in body {
        out.push_str(&line(row));
    }
    out
}

fn markdown_table(header: &[String], body: &[Vec<String>]) -> String {
    let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
    let mut out = line(header);
    let rule: Vec<String> = (0..header.len())
        .map(|i| {
            if is_text(i) {
                "---".to_string()
            } else {
                "---:".to_string()
            }
        })
        .collect();
    out.push_str(&line(&rule));
    for row in body {
        out.push_str(&line(row));
    }
    out
}

fn notes(columns: &[Column], rows: &[Row], markdown: bool) -> String {
    let bullet = if markdown { "- " } else { "" };
    let code = |s: &str| {
        if markdown {
            format!("`{s}`")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    out.push_str(&format!(
        "{bullet}× = slowdown vs native (time / native time; for MB/s, native / value); higher is slower. Values are medians.\n"
    ));
    for col in columns {
        let cmd = col
            .prefix
            .iter()
            .map(String::as_str)
            .chain(["PROGRAM [ITERS]"])
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!("{bullet}{}: {}\n", col.label, code(&cmd)));
    }

    // Failures, one line per (column, reason), naming the benchmarks.
    for (c, col) in columns.iter().enumerate() {
        let mut reasons: Vec<(&str, Vec<&str>)> = Vec::new();
        for row in rows {
            if let Err(msg) = &row.cells[c] {
                match reasons.iter_mut().find(|(m, _)| *m == msg.as_str()) {
                    Some((_, names)) => names.push(row.bench.name),
                    None => reasons.push((msg.as_str(), vec![row.bench.name])),
                }
            }
        }
        for (msg, names) in reasons {
            out.push_str(&format!(
                "{bullet}{} fail ({}): {}\n",
                col.label,
                names.join(", "),
                code(msg)
            ));
        }
    }
    out
}
