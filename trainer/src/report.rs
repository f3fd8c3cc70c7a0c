//! The training report: an HTML page with the training curve and the model against the
//! baselines, drawn as SVG with plotters.

use plotters::prelude::*;

use crate::eval::Metrics;
use crate::fit::EpochLog;

/// Renders the report page.
pub fn html(
    dataset: &str,
    curve: &[EpochLog],
    models: &[(&str, Metrics)],
) -> Result<String, String> {
    let curve_svg = curve_chart(curve).map_err(|e| e.to_string())?;
    let bars_svg = model_chart(models).map_err(|e| e.to_string())?;
    let rows: String = models
        .iter()
        .map(|(name, m)| {
            format!(
                "<tr><td>{name}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td></tr>",
                m.hr_10, m.ndcg_10, m.mrr_10, m.hr_20, m.ndcg_20
            )
        })
        .collect();
    Ok(format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>tastebud training report: {dataset}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto}}td,th{{padding:.2em .8em;text-align:right}}td:first-child{{text-align:left}}</style>\
<h1>tastebud on {dataset}</h1><h2>Training curve</h2>{curve_svg}<h2>Test split (full ranking, leave-one-out)</h2>{bars_svg}\
<table><tr><th>model</th><th>HR@10</th><th>NDCG@10</th><th>MRR@10</th><th>HR@20</th><th>NDCG@20</th></tr>{rows}</table></html>"
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

fn model_chart(models: &[(&str, Metrics)]) -> Result<String, Box<dyn std::error::Error>> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        root.fill(&WHITE)?;
        let top = models
            .iter()
            .map(|(_, m)| m.ndcg_10 as f32)
            .fold(0.0f32, f32::max)
            .max(1e-3)
            * 1.15;
        let mut chart = ChartBuilder::on(&root)
            .caption("NDCG@10 on the test split", ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d((0..models.len()).into_segmented(), 0f32..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => {
                    models.get(*i).map(|m| m.0.to_string()).unwrap_or_default()
                }
                _ => String::new(),
            })
            .draw()?;
        chart.draw_series(models.iter().enumerate().map(|(i, (name, m))| {
            let colour = if name.starts_with("tastebud") {
                BLUE.mix(0.7)
            } else {
                BLACK.mix(0.4)
            };
            Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), m.ndcg_10 as f32),
                ],
                colour.filled(),
            )
        }))?;
        root.present()?;
    }
    Ok(svg)
}
