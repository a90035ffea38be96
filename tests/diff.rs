//! A small line diff (longest common subsequence) for failure reports. Outputs are short, so
//! the quadratic table is fine; past a size limit the report falls back to the first
//! differing line.

/// Lines of the table beyond which we stop diffing properly.
const MAX_CELLS: usize = 4_000_000;
/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;

/// Renders `expected` vs `actual` as unified-style lines: ` ` same, `-` only in expected,
/// `+` only in actual; long unchanged stretches are elided.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    if (a.len() + 1) * (b.len() + 1) > MAX_CELLS {
        return first_difference(&a, &b);
    }
    // lcs[i][j] = length of the LCS of a[i..] and b[j..].
    let width = b.len() + 1;
    let mut lcs = vec![0u32; (a.len() + 1) * width];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i * width + j] = if a[i] == b[j] {
                lcs[(i + 1) * width + j + 1] + 1
            } else {
                lcs[(i + 1) * width + j].max(lcs[i * width + j + 1])
            };
        }
    }
    let mut ops: Vec<(char, &str)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', a[i]));
            i += 1;
            j += 1;
        } else if i < a.len()
            && (j == b.len() || lcs[(i + 1) * width + j] >= lcs[i * width + j + 1])
        {
            ops.push(('-', a[i]));
            i += 1;
        } else {
            ops.push(('+', b[j]));
            j += 1;
        }
    }
    render(&ops)
}

fn render(ops: &[(char, &str)]) -> String {
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.0 != ' ')
        .map(|(k, _)| k)
        .collect();
    let near_change = |k: usize| changed.iter().any(|&c| c.abs_diff(k) <= CONTEXT);
    let mut out = String::new();
    let mut elided = false;
    for (k, (tag, line)) in ops.iter().enumerate() {
        if *tag == ' ' && !near_change(k) {
            if !elided {
                out.push_str("  ...\n");
                elided = true;
            }
            continue;
        }
        elided = false;
        out.push_str(&format!("{tag} {line}\n"));
    }
    out
}

fn first_difference(a: &[&str], b: &[&str]) -> String {
    let k = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    format!(
        "(outputs too long to diff: {} vs {} lines; first difference at line {})\n- {}\n+ {}\n",
        a.len(),
        b.len(),
        k + 1,
        a.get(k).unwrap_or(&"<end of output>"),
        b.get(k).unwrap_or(&"<end of output>")
    )
}

#[cfg(test)]
mod tests {
    use super::line_diff;

    #[test]
    fn marks_changed_lines() {
        let d = line_diff("a\nb\nc\n", "a\nx\nc\n");
        assert_eq!(d, "  a\n- b\n+ x\n  c\n");
    }
}
