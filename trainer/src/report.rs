//! The training report: an HTML page with the training curve and the model against the
//! baselines, drawn as SVG with plotters.

use plotters::prelude::*;

use crate::edge::EdgeRerank;
use crate::eval::Metrics;
use crate::fit::EpochLog;

/// Renders the report page.
pub fn html(
    dataset: &str,
    curve: &[EpochLog],
    models: &[(&str, Metrics)],
    edge: &EdgeRerank,
) -> Result<String, String> {
    let curve_svg = curve_chart(curve).map_err(|e| e.to_string())?;
    let bars: Vec<(String, f32, bool)> = models
        .iter()
        .map(|(name, m)| {
            (
                name.to_string(),
                m.ndcg_10 as f32,
                name.starts_with("tastebud"),
            )
        })
        .collect();
    let bars_svg = bar_chart("NDCG@10 on the test split", &bars).map_err(|e| e.to_string())?;
    let (edge_svg, edge_rows) = edge_section(edge).map_err(|e| e.to_string())?;
    let rows: String = models
        .iter()
        .map(|(name, m)| {
            format!(
                "<tr><td>{name}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td></tr>",
                m.hr_10, m.ndcg_10, m.mrr_10, m.hr_20, m.ndcg_20
            )
        })
        .collect();
    let (candidates, recall) = (edge.candidates, 100.0 * edge.recall);
    Ok(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>tastebud training report: {dataset}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto}}td,th{{padding:.2em .8em;text-align:right}}td:first-child{{text-align:left}}</style>\
<h1>tastebud on {dataset}</h1><h2>Training curve</h2>{curve_svg}<h2>Test split (full ranking, leave-one-out)</h2>{bars_svg}\
<table><tr><th>model</th><th>HR@10</th><th>NDCG@10</th><th>MRR@10</th><th>HR@20</th><th>NDCG@20</th></tr>{rows}</table>\
<h2>Edge re-ranking from a profile token</h2><p>The {candidates} most popular items re-ranked per user: \
by the page with the whole profile, and by an edge worker from the shopper's token at each ε \
({recall:.1}% of the targets are among them).</p>{edge_svg}\
<table><tr><th>order</th><th>NDCG@10</th><th>HR@10</th><th>share of the profile's NDCG@10</th></tr>{edge_rows}</table></html>"
    ))
}

fn curve_chart(curve: &[EpochLog]) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 320)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(430);
        let epochs = curve.len().max(1) as f32;
        let max_loss = curve
            .iter()
            .map(|e| e.loss)
            .fold(0.0f32, f32::max)
            .max(1e-3);
        let min_loss = curve.iter().map(|e| e.loss).fold(max_loss, f32::min);
        let mut chart = ChartBuilder::on(&left)
            .caption("training loss", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(1f32..epochs.max(2.0), (min_loss * 0.95)..(max_loss * 1.05))?;
        chart.configure_mesh().x_desc("epoch").draw()?;
        chart.draw_series(LineSeries::new(
            curve.iter().map(|e| (e.epoch as f32, e.loss)),
            &BLUE,
        ))?;
        let max_ndcg = curve
            .iter()
            .map(|e| e.valid.ndcg_10 as f32)
            .fold(0.0f32, f32::max)
            .max(1e-3);
        let mut chart = ChartBuilder::on(&right)
            .caption("validation NDCG@10", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(1f32..epochs.max(2.0), 0f32..(max_ndcg * 1.1))?;
        chart.configure_mesh().x_desc("epoch").draw()?;
        chart.draw_series(LineSeries::new(
            curve
                .iter()
                .map(|e| (e.epoch as f32, e.valid.ndcg_10 as f32)),
            &RED,
        ))?;
        root.present()?;
    }
    Ok(svg)
}

/// The edge section's chart and table rows.
fn edge_section(edge: &EdgeRerank) -> Result<(String, String), Box<dyn std::error::Error>> {
    let mut orders = vec![
        ("first stage".to_string(), &edge.first_stage),
        ("profile".to_string(), &edge.profile),
    ];
    for row in &edge.token {
        let name = row
            .epsilon
            .map_or("token ε=∞".to_string(), |e| format!("token ε={e}"));
        orders.push((name, &row.metrics));
    }
    let bars: Vec<(String, f32, bool)> = orders
        .iter()
        .map(|(name, m)| (name.clone(), m.ndcg_10 as f32, name != "first stage"))
        .collect();
    let svg = bar_chart("NDCG@10 of the re-ranked first stage", &bars)?;
    let rows = orders
        .iter()
        .map(|(name, m)| {
            format!(
                "<tr><td>{name}</td><td>{:.4}</td><td>{:.4}</td><td>{:.1}%</td></tr>",
                m.ndcg_10,
                m.hr_10,
                100.0 * m.ndcg_10 / edge.profile.ndcg_10.max(1e-12)
            )
        })
        .collect();
    Ok((svg, rows))
}

/// Bars of `(label, value, highlighted)`.
fn bar_chart(
    caption: &str,
    bars: &[(String, f32, bool)],
) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        root.fill(&WHITE)?;
        let top = bars.iter().map(|b| b.1).fold(0.0f32, f32::max).max(1e-3) * 1.15;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((0..bars.len()).into_segmented(), 0f32..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .draw()?;
        chart.draw_series(
            bars.iter()
                .enumerate()
                .map(|(i, &(_, value, highlighted))| {
                    let colour = if highlighted {
                        BLUE.mix(0.7)
                    } else {
                        BLACK.mix(0.4)
                    };
                    Rectangle::new(
                        [
                            (SegmentValue::Exact(i), 0.0),
                            (SegmentValue::Exact(i + 1), value),
                        ],
                        colour.filled(),
                    )
                }),
        )?;
        root.present()?;
    }
    Ok(svg)
}
