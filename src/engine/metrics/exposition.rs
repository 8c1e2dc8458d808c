//! A writer of the Prometheus text exposition format (version 0.0.4): `# HELP` / `# TYPE` per
//! family, then its samples with escaped label values.

use std::fmt::Write as _;

use crate::engine::metrics::distribution::{DistributionSnapshot, BUCKET_BOUNDS_SECONDS};

/// A metric family: name, type and help text.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub name: &'static str,
    /// `counter`, `gauge` or `histogram`.
    pub kind: &'static str,
    pub help: &'static str,
}

/// Accumulates an exposition.
#[derive(Default)]
pub struct Exposition {
    out: String,
}

fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn number(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{v}");
    }
}

impl Exposition {
    /// Starts a family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, f: &Family) {
        let _ = writeln!(self.out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(self.out, "# TYPE {} {}", f.name, f.kind);
    }

    /// One sample line.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                self.out.push_str(k);
                self.out.push_str("=\"");
                escape(v, &mut self.out);
                self.out.push('"');
            }
            self.out.push('}');
        }
        self.out.push(' ');
        number(value, &mut self.out);
        self.out.push('\n');
    }

    /// The `_bucket`, `_sum` and `_count` samples of a histogram family.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], d: &DistributionSnapshot) {
        let bucket = format!("{name}_bucket");
        let bounds: Vec<String> = BUCKET_BOUNDS_SECONDS
            .iter()
            .map(|b| b.to_string())
            .collect();
        let mut with_le: Vec<(&str, &str)> = labels.to_vec();
        for (le, count) in bounds.iter().zip(&d.cumulative) {
            with_le.push(("le", le));
            self.sample(&bucket, &with_le, *count as f64);
            with_le.pop();
        }
        with_le.push(("le", "+Inf"));
        self.sample(&bucket, &with_le, d.summary.count as f64);
        self.sample(&format!("{name}_sum"), labels, d.sum_seconds);
        self.sample(&format!("{name}_count"), labels, d.summary.count as f64);
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_label_values_and_formats_numbers() {
        let mut e = Exposition::default();
        e.family(&Family {
            name: "x_total",
            kind: "counter",
            help: "X.",
        });
        e.sample("x_total", &[("topic", "a\"b\\c\nd")], 3.0);
        e.sample("x_total", &[], f64::INFINITY);
        assert_eq!(
            e.finish(),
            "# HELP x_total X.\n# TYPE x_total counter\nx_total{topic=\"a\\\"b\\\\c\\nd\"} 3\nx_total +Inf\n"
        );
    }
}
